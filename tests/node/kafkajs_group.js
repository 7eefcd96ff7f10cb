// A kafkajs consumer group member for tests/test_kafkajs_group.sh: it joins GROUP on TOPIC
// with an assigner of ours whose protocol is Java's "range" (RangeAssignor) and whose
// subscription and assignment are Java's ConsumerProtocol v0 bytes, so it shares one
// group with members of other clients (kafka-agent consume -G) whoever leads.
//
//   node kafkajs_group.js BOOTSTRAP GROUP TOPIC
//
// stdout: the key of each message consumed, one a line. stderr: one line per join,
// "JOIN leader=true|false protocol=NAME partitions=0,1,2", and "LEFT" once it left the
// group on SIGTERM (offsets committed, LeaveGroup sent).
'use strict'
const { Kafka, logLevel, AssignerProtocol } = require('kafkajs')
const { MemberMetadata, MemberAssignment } = AssignerProtocol

const [bootstrap, groupId, topic] = process.argv.slice(2)
if (!topic) {
  console.error('usage: kafkajs_group.js BOOTSTRAP GROUP TOPIC')
  process.exit(2)
}

// Java's RangeAssignor: per topic, the partitions in order and the members subscribed to
// it sorted by member id; each gets floor(n / members) consecutive partitions, the first
// n % members one more. A member's subscription is read from its ConsumerProtocol bytes
// (version, topics, ...: v1+ append fields that v0's reader leaves unread).
const RangeAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const out = Object.fromEntries(members.map(m => [m.memberId, {}]))
    for (const t of topics) {
      const parts = cluster
        .findTopicPartitionMetadata(t)
        .map(p => p.partitionId)
        .sort((a, b) => a - b)
      const subscribed = members
        .filter(m => MemberMetadata.decode(m.memberMetadata).topics.includes(t))
        .map(m => m.memberId)
        .sort()
      const per = Math.floor(parts.length / subscribed.length)
      const extra = parts.length % subscribed.length
      subscribed.forEach((id, i) => {
        const start = i * per + Math.min(i, extra)
        out[id][t] = parts.slice(start, start + per + (i < extra ? 1 : 0))
      })
    }
    return members.map(m => ({
      memberId: m.memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment: out[m.memberId] }),
    }))
  },
  protocol({ topics }) {
    return { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics }) }
  },
})

async function main() {
  const kafka = new Kafka({ clientId: 'kjs-group', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [RangeAssigner],
    sessionTimeout: 10000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
  })
  consumer.on(consumer.events.GROUP_JOIN, e => {
    const p = e.payload
    const parts = (p.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    process.stderr.write(`JOIN leader=${p.isLeader} protocol=${p.groupProtocol} partitions=${parts.join(',')}\n`)
  })
  let stopping = false
  process.on('SIGTERM', async () => {
    if (stopping) return
    stopping = true
    await consumer.disconnect()
    process.stderr.write('LEFT\n')
    process.exit(0)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      process.stdout.write(message.key.toString() + '\n')
    },
  })
}

main().catch(e => {
  console.error(`kafkajs_group: ${e.message}`)
  process.exit(1)
})
