// kafkajs (an independent Kafka client, in JavaScript) against a kafka-mock listener,
// for tests/test_kafkajs.sh:
//
//   node kafkajs_peer.js BROKERS PROTOCOL MECHANISM USER PASSWORD CA TOPIC COUNT
//
// PROTOCOL is PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; MECHANISM (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), USER and PASSWORD are used by the SASL ones and CA (a PEM file) by the
// TLS ones; "-" where unused. It produces COUNT messages to partition 0 of TOPIC, keys
// "k<i>" and values "kafkajs <PROTOCOL> <MECHANISM> <i>", acks=all, then asks the admin
// client for the cluster and the topic's offsets, and prints:
//
//   PRODUCED <count> base=<first offset>
//   BROKERS <port>,<port>,...          (the ports the cluster's metadata advertised)
//   OFFSETS <partition>:<low>:<high> ...
//
// Exit 0 when all of that worked. A refused login prints
//   REFUSED <kafkajs error name>: <message>
// and exits 3; any other failure prints ERROR ... and exits 1.
'use strict';

const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [brokers, protocol, mechanism, user, password, ca, topic, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  if (!topic || !(count > 0)) {
    console.log('usage: kafkajs_peer.js BROKERS PROTOCOL MECHANISM USER PASSWORD CA TOPIC COUNT');
    process.exit(2);
  }
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const kafka = new Kafka({
    clientId: 'libkafka-kafkajs-test',
    brokers: brokers.split(','),
    ssl: tls ? { ca: [fs.readFileSync(ca, 'utf8')], rejectUnauthorized: true } : false,
    sasl: sasl ? { mechanism: mechanism.toLowerCase(), username: user, password } : undefined,
    connectionTimeout: 5000,
    requestTimeout: 10000,
    // A refused login is not worth retrying; other errors get a few tries.
    retry: { retries: 2, initialRetryTime: 100 },
    logLevel: logLevel.NOTHING,
  });

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++)
    messages.push({ key: `k${i}`, value: `kafkajs ${protocol} ${mechanism} ${i}` });
  const sent = await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  await producer.disconnect();
  console.log(`PRODUCED ${count} base=${sent[0].baseOffset}`);

  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  console.log(`BROKERS ${cluster.brokers.map((b) => `${b.host}:${b.port}`).sort().join(',')}`);
  const offsets = await admin.fetchTopicOffsets(topic);
  console.log(`OFFSETS ${offsets.sort((a, b) => a.partition - b.partition)
    .map((o) => `${o.partition}:${o.low}:${o.high}`).join(' ')}`);
  await admin.disconnect();
}

main().catch((e) => {
  const names = [];
  for (let c = e; c; c = c.cause || c.originalError) {
    names.push(`${c.name}: ${c.message}`);
    if (names.length > 3)
      break;
  }
  const text = names.join(' <- ');
  if (/SASL|[Aa]uthentication/.test(text)) {
    console.log(`REFUSED ${text}`);
    process.exit(3);
  }
  console.log(`ERROR ${text}`);
  process.exit(1);
});
