// Postal's official Node client (@atech/postal) as the baseline of scripts/bench-send.sh
// (issue 4). It speaks HTTPS on port 443 only: run it against https://localhost with the
// stand-in's certificate trusted, e.g.
//   NODE_EXTRA_CA_CERTS=cert.pem node bench.js seq 5000
//   NODE_EXTRA_CA_CERTS=cert.pem node bench.js many 20000 16
// The message is the one of benchmarks/send_bench_common.hpp: one recipient, from, subject,
// tag, one custom header, a 1 KiB text body and a 3 KiB HTML body. Every send must resolve with
// the stand-in's message (id 1) or the program exits with status 1. One untimed warm-up
// (seq: 1 send, many: 4 x CONCURRENCY sends) opens the connections first; Node 20's global agent
// keeps them alive. Prints "RESULT mode=... n=... secs=... rps=...".
'use strict';

const Postal = require('@atech/postal');

const API_KEY = 'benchKey0123456789abcdef';
const RECIPIENT = 'to@example.com';

function filled(line, size) {
  return line.repeat(Math.ceil(size / line.length)).slice(0, size);
}

const PLAIN = filled('The quick brown fox jumps over the lazy dog. 0123456789\n', 1024);
const HTML = filled('<p>The quick brown fox jumps over the <b>lazy</b> dog. 0123456789</p>\n', 3072);

const client = new Postal.Client(process.env.BENCH_HOST || 'localhost', API_KEY);

function die(message) {
  process.stderr.write(`bench.js: ${message}\n`);
  process.exit(1);
}

// One send, built with the SendMessage builder as an application would.
async function sendOne(index) {
  const message = new Postal.SendMessage(client);
  message.to(RECIPIENT);
  message.from('Bench <bench@example.com>');
  message.subject('postal-cpp send benchmark');
  message.tag('bench');
  message.header('X-Bench', '1');
  message.plainBody(PLAIN);
  message.htmlBody(HTML);
  let result;
  try {
    result = await message.send();
  } catch (error) {
    die(`send ${index} failed: ${error && error.message ? error.message : JSON.stringify(error)}`);
  }
  const sent = result.recipients()[RECIPIENT];
  if (!sent || sent.id() !== 1) die(`send ${index} returned an unexpected result`);
}

async function runMany(count, concurrency, first) {
  let next = 0;
  async function worker() {
    while (next < count) {
      const index = next++;
      await sendOne(first + index);
    }
  }
  const workers = [];
  for (let i = 0; i < Math.min(concurrency, count); i++) workers.push(worker());
  await Promise.all(workers);
}

function count(text, what) {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) die(`${what} must be a positive integer, got '${text}'`);
  return value;
}

// "RESULT mode=seq n=5000 secs=1.234 rps=4051.2" (concurrency= after n= for mode=many).
function report(mode, n, concurrency, start) {
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const extra = concurrency ? ` concurrency=${concurrency}` : '';
  console.log(`RESULT mode=${mode} n=${n}${extra} secs=${secs.toFixed(3)} rps=${(n / secs).toFixed(1)}`);
}

async function main() {
  const [mode, nText, concurrencyText] = process.argv.slice(2);
  if (mode === 'seq' && nText) {
    const n = count(nText, 'N');
    await sendOne(0);  // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await sendOne(i + 1);
    report('seq', n, 0, start);
  } else if (mode === 'many' && nText && concurrencyText) {
    const n = count(nText, 'N');
    const concurrency = count(concurrencyText, 'CONCURRENCY');
    await runMany(4 * concurrency, concurrency, 0);  // warm-up
    const start = process.hrtime.bigint();
    await runMany(n, concurrency, concurrency);
    report('many', n, concurrency, start);
  } else {
    process.stderr.write('usage: node bench.js seq N | node bench.js many N CONCURRENCY\n');
    process.exit(2);
  }
}

main().catch((error) => die(String(error && error.stack ? error.stack : error)));
