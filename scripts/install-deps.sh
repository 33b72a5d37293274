#!/usr/bin/env bash
# Installs what postal-cpp needs to build, test and run its examples on Debian 12 / Ubuntu.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libcurl4-openssl-dev libssl-dev nlohmann-json3-dev
          catch2 libcpp-httplib-dev nginx-light openssl doxygen clang-14
          libclang-rt-14-dev)  # libFuzzer and the sanitizers for clang (only recommended by it)
# What `pkg-config --static --libs libcurl` names (the static pkg-config package test links them).
packages+=(libnghttp2-dev libidn2-dev librtmp-dev libssh2-1-dev libpsl-dev libkrb5-dev libldap-dev
           libzstd-dev libbrotli-dev zlib1g-dev)
if [[ $# -gt 0 ]]; then packages+=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
