#!/usr/bin/env node
/**
 * A mock WeChat account for gridbot's WeChat adapter tests.
 *
 * One process serves Wechaty's own mock puppet (wechaty-puppet-mock) through
 * wechaty-puppet-service, the gRPC server that python-wechaty connects to, on
 * 127.0.0.1:GRPC_PORT without TLS (python-wechaty has none). Beside it, a small
 * JSON API on 127.0.0.1:HTTP_PORT lets a test play the other people in the chat:
 *
 *   POST /setup  {bot?: {id, name}, contacts: [{id, name}], rooms: [{id, topic, members: [ids]}]}
 *                Creates or updates the bot user, contacts and rooms; safe to repeat. Room ids
 *                must contain "@" (e.g. "room-1@chatroom"). The bot joins every room. The bot
 *                defaults to {id: "gridbot", name: "gridbot"}, also for a bot that connects
 *                before any setup; its id cannot change once set.
 *   POST /say    {from, room?, text, mentions?: [ids]} -> {id}
 *                `from` says `text` in `room` (mentioning `mentions`), or, without a room,
 *                privately to the bot. Needs the bot to be logged in.
 *   GET  /said   -> [{id, to, text, mentions}] everything the bot sent as text, in order;
 *                `to` is a room or contact id, `mentions` the mentionIdList the bot passed.
 *                Each is also echoed back to the bot as its own message, as real puppets do.
 *   POST /rename {id, name}  changes a contact's display name.
 *   GET  /state  -> {loggedIn, bot, contacts, rooms} for diagnostics.
 *
 * Usage:
 *   node gateway.js --grpc-port 8788 --http-port 8789 --token TOKEN [--setup JSON] [--watch-stdin]
 * Each option falls back on an environment variable: GRPC_PORT, HTTP_PORT,
 * WECHATY_PUPPET_SERVICE_TOKEN, GATEWAY_SETUP. WECHATY_LOG sets Wechaty's log level (default warn).
 * Prints `ready <grpc_port> <http_port>` once both servers listen; stops on SIGTERM or SIGINT,
 * and with --watch-stdin also when its standard input closes (the test process went away).
 *
 * The bot's puppet client calls stop() then start() whenever it connects, and every start
 * re-runs the mock's environment: here it only logs the bot in again, as contacts and rooms
 * stay in the mocker's cache.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import process from 'node:process'
import { parseArgs } from 'node:util'

import * as PUPPET from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { PuppetServer, log } from 'wechaty-puppet-service'

const HOST = '127.0.0.1'
const DEFAULT_BOT = { id: 'gridbot', name: 'gridbot' }
const MAX_BODY = 1024 * 1024

class HttpError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

function fail (message, status = 400) {
  throw new HttpError(status, message)
}

/* ------------------------------------------------------------------ options */

function readOptions () {
  const { values } = parseArgs({
    options: {
      'grpc-port': { type: 'string' },
      'http-port': { type: 'string' },
      token: { type: 'string' },
      setup: { type: 'string' },
      'watch-stdin': { type: 'boolean', default: false },
    },
  })
  const port = (value, name) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n <= 0 || n > 65535) {
      throw new Error(`${name} must be a port number, got ${JSON.stringify(value)}`)
    }
    return n
  }
  const token = values.token ?? process.env.WECHATY_PUPPET_SERVICE_TOKEN
  if (!token) {
    throw new Error('a token is needed: --token or WECHATY_PUPPET_SERVICE_TOKEN')
  }
  const setup = values.setup ?? process.env.GATEWAY_SETUP
  return {
    grpcPort: port(values['grpc-port'] ?? process.env.GRPC_PORT, 'the gRPC port'),
    httpPort: port(values['http-port'] ?? process.env.HTTP_PORT, 'the HTTP port'),
    token,
    setup: setup ? JSON.parse(setup) : undefined,
    watchStdin: values['watch-stdin'],
  }
}

/* ---------------------------------------------------------------- the account */

/**
 * The mock account: Wechaty's Mocker and PuppetMock, the people and rooms the test set up,
 * and what the bot said.
 */
class MockAccount {
  constructor () {
    this.bot = undefined
    this.said = []
    this.running = false
    this.mocker = new mock.Mocker()
    this.mocker.use(mocker => this.onPuppetStart(mocker))
    this.puppet = new PuppetMock({ mocker: this.mocker })
    // The stock mock drops mentionIdList: keep it, and record what the bot says.
    this.puppet.messageSendText = (conversationId, text, mentionIdList) =>
      this.botSays(conversationId, text, mentionIdList ?? [])
  }

  /** The mock's environment: runs on every puppet start(), as the bot (re)connects. */
  onPuppetStart () {
    this.running = true
    this.loginIfReady()
    return () => { this.running = false }
  }

  loginIfReady () {
    if (!this.running || this.puppet.isLoggedIn) {
      return
    }
    if (!this.bot) {
      this.setBot(DEFAULT_BOT) // a bot that connects before any setup logs in as the default one
    }
    this.puppet.login(this.bot.id)
    // Real puppets say `ready` once contacts and rooms are loaded; the mock has them all.
    setImmediate(() => this.puppet.emit('ready', { data: 'ready' }))
  }

  hasContact (id) {
    return this.mocker.cacheContactPayload.has(id)
  }

  hasRoom (id) {
    return this.mocker.cacheRoomPayload.has(id)
  }

  /** Create or update the bot, contacts and rooms; repeating the same setup changes nothing. */
  setup ({ bot, contacts = [], rooms = [] } = {}) {
    const wanted = bot ?? this.bot ?? DEFAULT_BOT
    if (!isString(wanted.id) || !isString(wanted.name)) {
      fail('bot needs a string id and name')
    }
    if (this.bot && this.bot.id !== wanted.id) {
      fail(`the bot is ${this.bot.id}; it cannot become ${wanted.id}`, 409)
    }
    if (!Array.isArray(contacts) || !Array.isArray(rooms)) {
      fail('contacts and rooms must be lists')
    }
    for (const contact of contacts) {
      if (!isString(contact?.id) || !isString(contact?.name)) {
        fail(`a contact needs a string id and name: ${JSON.stringify(contact)}`)
      }
      if (contact.id.includes('@')) {
        fail(`contact ids must not contain "@" (the mock takes those for rooms): ${contact.id}`)
      }
    }
    const known = new Set([
      ...this.mocker.cacheContactPayload.keys(),
      wanted.id,
      ...contacts.map(c => c.id),
    ])
    for (const room of rooms) {
      if (!isString(room?.id) || !room.id.includes('@')) {
        fail(`a room needs a string id containing "@": ${JSON.stringify(room)}`)
      }
      const members = room.members ?? []
      if (!Array.isArray(members) || members.some(id => !known.has(id))) {
        fail(`room ${room.id} lists unknown members: ${JSON.stringify(members)}`)
      }
    }

    this.setBot(wanted)
    for (const contact of contacts) {
      this.upsertContact(contact)
    }
    for (const room of rooms) {
      this.upsertRoom(room)
    }
    this.loginIfReady()
  }

  setBot ({ id, name }) {
    this.bot = { id, name }
    this.upsertContact(this.bot)
  }

  upsertContact ({ id, name }) {
    const payload = this.mocker.cacheContactPayload.get(id)
    if (!payload) {
      this.mocker.ContactMock.create({
        id,
        name,
        alias: undefined,
        avatar: '',
        friend: true,
        gender: PUPPET.types.ContactGender.Unknown,
        phone: [],
        type: PUPPET.types.Contact.Individual,
      })
    } else if (payload.name !== name) {
      payload.name = name
      this.dirty(PUPPET.types.Dirty.Contact, id)
      for (const room of this.mocker.cacheRoomPayload.values()) {
        if (room.memberIdList.includes(id)) {
          this.dirty(PUPPET.types.Dirty.RoomMember, room.id)
        }
      }
    }
  }

  /** A room's topic and members are left as they are when not given. */
  upsertRoom ({ id, topic, members }) {
    const memberIdList = [...new Set([this.bot.id, ...(members ?? [])])]
    const payload = this.mocker.cacheRoomPayload.get(id)
    if (!payload) {
      this.mocker.RoomMock.create({
        id,
        topic: topic ?? id,
        memberIdList,
        adminIdList: [],
        avatar: '',
        ownerId: undefined,
      })
      return
    }
    let changed = false
    if (topic !== undefined && payload.topic !== topic) {
      payload.topic = topic
      changed = true
    }
    if (members !== undefined && memberIdList.join('\n') !== payload.memberIdList.join('\n')) {
      payload.memberIdList = memberIdList
      this.dirty(PUPPET.types.Dirty.RoomMember, id)
      changed = true
    }
    if (changed) {
      this.dirty(PUPPET.types.Dirty.Room, id)
    }
  }

  /** Drop the server side's cached payload (python-wechaty keeps its own cache regardless). */
  dirty (type, id) {
    if (this.running) {
      this.puppet.dirtyPayload(type, id)
    }
  }

  rename ({ id, name }) {
    if (!isString(id) || !isString(name)) {
      fail('rename needs a string id and name')
    }
    if (!this.hasContact(id)) {
      fail(`unknown contact ${id}`, 404)
    }
    if (id === this.bot?.id) {
      this.bot.name = name
    }
    this.upsertContact({ id, name })
  }

  /** A contact says something: in a room (with mentions), or privately to the bot. */
  say ({ from, room, text, mentions = [] }) {
    if (!isString(from) || !this.hasContact(from)) {
      fail(`unknown contact ${JSON.stringify(from)}`, 404)
    }
    if (!isString(text)) {
      fail('text must be a string')
    }
    if (!Array.isArray(mentions) || mentions.some(id => !this.hasContact(id))) {
      fail(`unknown contacts in mentions: ${JSON.stringify(mentions)}`, 404)
    }
    if (!this.puppet.isLoggedIn) {
      fail('the bot is not logged in: no message can reach it yet', 409)
    }
    const payload = { talkerId: from, text }
    if (room !== undefined) {
      if (!this.hasRoom(room)) {
        fail(`unknown room ${JSON.stringify(room)}`, 404)
      }
      Object.assign(payload, { roomId: room, mentionIdList: mentions })
    } else {
      payload.listenerId = this.bot.id
    }
    return this.emitMessage(payload)
  }

  /** The puppet's messageSendText, for the bot: record it, then echo it as real puppets do. */
  async botSays (conversationId, text, mentionIdList) {
    if (!this.puppet.isLoggedIn) {
      throw new Error('not logged in')
    }
    const isRoom = conversationId.includes('@')
    if (isRoom ? !this.hasRoom(conversationId) : !this.hasContact(conversationId)) {
      throw new Error(`unknown conversation ${conversationId}`)
    }
    const payload = { talkerId: this.bot.id, text }
    if (isRoom) {
      Object.assign(payload, { roomId: conversationId, mentionIdList })
    } else {
      payload.listenerId = conversationId
    }
    const id = this.emitMessage(payload)
    this.said.push({ id, to: conversationId, text, mentions: [...mentionIdList] })
    return id
  }

  emitMessage (payload) {
    const message = this.mocker.MessageMock.create({
      id: `msg-${randomUUID()}`,
      timestamp: Date.now(),
      type: PUPPET.types.Message.Text,
      ...payload,
    })
    this.puppet.emit('message', { messageId: message.id })
    return message.id
  }

  state () {
    return {
      loggedIn: this.puppet.isLoggedIn,
      bot: this.bot ?? null,
      contacts: [...this.mocker.cacheContactPayload.values()].map(({ id, name }) => ({ id, name })),
      rooms: [...this.mocker.cacheRoomPayload.values()].map(({ id, topic, memberIdList }) => ({
        id, topic, members: [...memberIdList],
      })),
    }
  }
}

function isString (value) {
  return typeof value === 'string' && value.length > 0
}

/* ------------------------------------------------------------------ HTTP API */

function readJson (request) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    request.on('data', chunk => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'))
        request.destroy()
      } else {
        chunks.push(chunk)
      }
    })
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(text ? JSON.parse(text) : {})
      } catch (e) {
        reject(new HttpError(400, `invalid JSON: ${e.message}`))
      }
    })
    request.on('error', reject)
  })
}

function controlApi (account) {
  const routes = {
    'POST /setup': async body => { account.setup(body); return account.state() },
    'POST /say': async body => ({ id: account.say(body) }),
    'GET /said': async () => account.said,
    'POST /rename': async body => { account.rename(body); return { ok: true } },
    'GET /state': async () => account.state(),
  }
  return http.createServer(async (request, response) => {
    let status = 200
    let result
    try {
      const path = new URL(request.url, 'http://localhost').pathname
      const route = routes[`${request.method} ${path}`]
      if (!route) {
        fail(`no route ${request.method} ${path}`, 404)
      }
      const body = request.method === 'POST' ? await readJson(request) : undefined
      result = await route(body)
    } catch (e) {
      status = e instanceof HttpError ? e.status : 500
      result = { error: e.message }
    }
    const text = JSON.stringify(result)
    response.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    })
    response.end(text)
  })
}

/* --------------------------------------------------------------------- main */

async function main () {
  const options = readOptions()
  log.level(process.env.WECHATY_LOG || 'warn')

  const account = new MockAccount()
  if (options.setup) {
    account.setup(options.setup)
  }

  const puppetServer = new PuppetServer({
    endpoint: `${HOST}:${options.grpcPort}`,
    puppet: account.puppet,
    token: options.token,
    // No TLS, as WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true would: python-wechaty has none.
    tls: { disable: true },
  })
  await puppetServer.start()

  const api = controlApi(account)
  await new Promise((resolve, reject) => {
    api.once('error', reject)
    api.listen(options.httpPort, HOST, resolve)
  })

  let stopping = false
  const shutdown = async reason => {
    if (stopping) {
      return
    }
    stopping = true
    log.verbose('Gateway', 'shutdown(%s)', reason)
    const force = setTimeout(() => process.exit(0), 5000)
    force.unref()
    api.close()
    api.closeAllConnections()
    try {
      if (account.puppet.state.active()) {
        // As a puppet service does when it stops: the bot hears `logout`, then the stream ends.
        await account.puppet.stop()
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      await puppetServer.stop()
    } catch (e) {
      console.error(`gateway: error while stopping: ${e.message}`)
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  if (options.watchStdin) {
    process.stdin.on('end', () => shutdown('stdin closed'))
    process.stdin.on('error', () => shutdown('stdin error'))
    process.stdin.resume()
  }

  console.log(`ready ${options.grpcPort} ${options.httpPort}`)
}

main().catch(e => {
  console.error(`gateway: ${e.stack ?? e}`)
  process.exit(1)
})
