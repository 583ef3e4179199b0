// The chat network on Fastify + @fastify/websocket with Ajv: the stack
// @polytric/fastify-openws runs on, written out here because those packages
// are not on the npm registry. It behaves like the openws-rs chat server
// (docs/benchmarks.md says how): the same envelope, role rules, inbound and
// outbound validation against the same schemas, one frame at a time per
// connection, and a validated, separately encoded frame per receiver, as the
// original's per-peer `api.receivedMessage(...)` does.
//
//   node server.js            listens on 127.0.0.1 and an OS-chosen port
//   PORT=8082 node server.js  prints `listening 127.0.0.1:<port>` once ready
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const Ajv = require('ajv')
const fastify = require('fastify')
const websocket = require('@fastify/websocket')

const spec = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../examples/chat/chat.openws.json'), 'utf8'),
).networks.chat
const HOST = 'server'
const OPEN_ROLES = new Set(['client'])
// The one message the benchmark adds to the chat network (served at /bench only).
const BROADCAST = {
  payload: {
    type: 'object',
    properties: { userId: { type: 'string' }, text: { type: 'string' } },
    required: ['userId', 'text'],
  },
  from: ['client'],
}

const ajv = new Ajv({ allErrors: false, strict: false })
const compile = (messages) =>
  Object.fromEntries(
    Object.entries(messages).map(([name, m]) => [name, { from: m.from, check: ajv.compile(m.payload) }]),
  )
const inbound = compile({ ...spec.roles[HOST].messages, broadcast: BROADCAST })
const outbound = Object.fromEntries(
  Object.entries(spec.roles).filter(([role]) => role !== HOST).map(([role, r]) => [role, compile(r.messages)]),
)

const rooms = new Map() // roomId -> [userId]
const users = new Map() // userId -> peer

class HandlerError extends Error {}

function frame(messageName, payload) {
  return JSON.stringify({ fromRole: HOST, messageName, payload })
}

function errorFrame(code, message, messageName, id) {
  const error = messageName === undefined ? { code, message } : { code, message, messageName }
  return JSON.stringify(id === undefined ? { fromRole: HOST, error } : { fromRole: HOST, error, replyTo: id })
}

// A peer handle: every send is validated against the receiving role's schema.
function peer(socket, role) {
  return {
    socket,
    send(messageName, payload) {
      const message = outbound[role][messageName]
      if (!message) throw new HandlerError(`role \`${role}\` accepts no message \`${messageName}\``)
      if (!message.check(payload)) throw new HandlerError(ajv.errorsText(message.check.errors))
      if (socket.readyState === 1) socket.send(frame(messageName, payload))
    },
  }
}

function deliver(userId, messageName, payload) {
  const member = users.get(userId)
  if (member) member.send(messageName, payload)
}

const handlers = {
  createRoom({ userId, roomId }, api) {
    if (rooms.has(roomId)) throw new HandlerError(`room \`${roomId}\` already exists`)
    rooms.set(roomId, [userId])
    users.set(userId, api)
    api.send('joinedRoom', { roomId, joinerId: userId })
  },
  joinRoom({ userId, roomId }, api) {
    const members = rooms.get(roomId)
    if (!members) throw new HandlerError(`room \`${roomId}\` does not exist`)
    if (!members.includes(userId)) members.push(userId)
    users.set(userId, api)
    for (const member of [...members]) deliver(member, 'joinedRoom', { roomId, joinerId: userId })
  },
  sendMessage({ userId, roomId, text }) {
    const members = rooms.get(roomId)
    if (!members) throw new HandlerError(`room \`${roomId}\` does not exist`)
    for (const member of [...members]) {
      if (member !== userId) deliver(member, 'receivedMessage', { roomId, senderId: userId, text })
    }
  },
  requestRoomStats({ roomId }, api) {
    const members = rooms.get(roomId)
    if (!members) throw new HandlerError(`room \`${roomId}\` does not exist`)
    api.send('receivedRoomStats', { roomId, members: [...members] })
  },
  broadcast({ userId, text }) {
    for (const member of [...users.keys()]) {
      if (member !== userId) deliver(member, 'receivedMessage', { roomId: '*', senderId: userId, text })
    }
  },
}

const isString = (v) => typeof v === 'string'

// One connection: parse, authorise, validate, dispatch; errors answer the frame.
function session(socket, allowBroadcast) {
  let role
  let api
  const refuse = (code, message, messageName, id) => socket.send(errorFrame(code, message, messageName, id))
  socket.on('message', (data, isBinary) => {
    if (isBinary) return refuse('bad_frame', 'binary frames are not supported; send JSON text')
    let envelope
    try {
      envelope = JSON.parse(data.toString())
    } catch (e) {
      return refuse('bad_frame', `frame is not valid JSON: ${e.message}`)
    }
    if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
      return refuse('bad_frame', 'frame is not a JSON object')
    }
    const { fromRole, messageName, id } = envelope
    let { payload } = envelope
    if (id !== undefined && !isString(id) && typeof id !== 'number') {
      return refuse('bad_frame', '`id` must be a string or a number')
    }
    if (!isString(fromRole)) return refuse('bad_frame', '`fromRole` must be present and a string', undefined, id)
    if (!isString(messageName)) return refuse('bad_frame', '`messageName` must be present and a string', undefined, id)
    if (payload === undefined) return refuse('bad_frame', '`payload` must be present', undefined, id)
    if (!(fromRole in spec.roles)) return refuse('unknown_role', `network \`chat\` has no role \`${fromRole}\``, messageName, id)
    if (role === undefined) {
      if (!OPEN_ROLES.has(fromRole)) return refuse('role_refused', `this route does not let a connection take role \`${fromRole}\``, messageName, id)
      role = fromRole
      api = peer(socket, role)
    } else if (role !== fromRole) {
      return refuse('role_mismatch', `this connection holds role \`${role}\`, not \`${fromRole}\``, messageName, id)
    }
    const message = Object.hasOwn(inbound, messageName) && (allowBroadcast || messageName !== 'broadcast') ? inbound[messageName] : undefined
    if (!message) return refuse('unknown_message', `\`${HOST}\` accepts no message \`${messageName}\``, messageName, id)
    if (message.from && !message.from.includes(role)) {
      return refuse('forbidden_role', `role \`${role}\` may not send \`${messageName}\``, messageName, id)
    }
    if (isString(payload)) {
      try {
        payload = JSON.parse(payload)
      } catch (e) {
        return refuse('bad_frame', `\`payload\` is not valid JSON: ${e.message}`, messageName, id)
      }
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return refuse('bad_frame', '`payload` must be an object or a string of JSON', messageName, id)
    }
    if (!message.check(payload)) return refuse('invalid_payload', ajv.errorsText(message.check.errors), messageName, id)
    try {
      handlers[messageName](payload, api)
    } catch (e) {
      refuse(e instanceof HandlerError ? 'handler_error' : 'internal_error', e.message, messageName, id)
    }
  })
  socket.on('close', () => {
    if (!api) return
    const gone = [...users].filter(([, p]) => p === api).map(([userId]) => userId)
    for (const userId of gone) users.delete(userId)
    for (const members of rooms.values()) {
      for (const userId of gone) {
        const i = members.indexOf(userId)
        if (i >= 0) members.splice(i, 1)
      }
    }
  })
  socket.on('error', () => {})
}

async function main() {
  const app = fastify({ logger: false })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  app.get('/chat', { websocket: true }, (socket) => session(socket, false))
  app.get('/bench', { websocket: true }, (socket) => session(socket, true))
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT || 0) })
  process.stdout.write(`listening 127.0.0.1:${app.server.address().port}\n`)
  const stop = () => app.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
