'use strict';
/**
 * The Telegram Bot API emulator for gridbot's end-to-end tests.
 *
 * It runs the npm package telegram-test-api 4.2.1 on 127.0.0.1 and registers routes of its own
 * before the stock ones, so that python-telegram-bot 22 can talk to it as to the real Bot API:
 * the bot side (/bot<token>/<method>) is answered entirely here, the stock package keeps its
 * storage, its HTTP server and the test side's history endpoints. See
 * tests/peers/telegram_emulator.py for the Python side.
 *
 * Bot methods: getMe, getUpdates (held up to 2 s when empty; offset confirms), setWebhook,
 * deleteWebhook, getWebhookInfo, sendMessage, sendPhoto, sendDocument (multipart uploads or a
 * known file_id), getFile (and downloads under /file/bot<token>/), editMessageText,
 * editMessageReplyMarkup, deleteMessage, answerCallbackQuery, sendChatAction, setMyCommands,
 * deleteMyCommands, getMyCommands. Any other method answers 400 naming it. Errors are the Bot
 * API's where they matter to a bot: a reply to a missing message, an edit that changes nothing,
 * an empty or overlong text, an upload that is not an image.
 *
 * Usage:  node launcher.js PORT        (or PORT=NNNN node launcher.js)
 * Environment:
 *   TELEGRAM_EMULATOR_STATE  a JSON file: loaded at start when it exists, written on SIGTERM, so a
 *                            restarted emulator keeps its messages, pending updates and id counters.
 * Prints `ready <port>` on stdout once it listens; logs go to stderr; exits 0 on SIGTERM or SIGINT.
 */

const crypto = require('crypto');
const fs = require('fs');
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes');

const HOST = '127.0.0.1';
const BOT = Object.freeze({
  id: 666,
  is_bot: true,
  first_name: 'Test First name',
  username: 'TestNameBot',
});
const POLL_HOLD_MS = 2000; // the longest a getUpdates call waits when there is nothing to return
const SHUTDOWN_GRACE_MS = 3000;
const MAX_UPLOAD_BYTES = 60 * 1024 * 1024;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const STATE_VERSION = 1;

// Parameters that arrive JSON-encoded in form bodies (PTB sends every non-string that way).
const JSON_FIELDS = [
  'allowed_updates', 'caption_entities', 'commands', 'entities', 'link_preview_options',
  'reply_markup', 'reply_parameters', 'scope',
];
const INT_FIELDS = [
  'chat_id', 'limit', 'message_id', 'message_thread_id', 'offset', 'reply_to_message_id', 'timeout',
];
const BOOL_FIELDS = [
  'allow_sending_without_reply', 'disable_notification', 'disable_web_page_preview',
  'drop_pending_updates', 'protect_content', 'show_alert',
];

/** An error the Bot API reports as `{ok: false, error_code, description}`. */
class ApiError extends Error {
  constructor(code, description) {
    super(description);
    this.code = code;
    this.description = description;
  }
}

const badRequest = (what) => new ApiError(400, `Bad Request: ${what}`);
const nowSeconds = () => Math.floor(Date.now() / 1000);

function sendApiError(res, code, description) {
  res.status(code).json({ ok: false, error_code: code, description });
}

// ---------------------------------------------------------------------------------------------
// Request parameters: form, JSON or multipart bodies, with Bot API value decoding.

function readRawBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES) {
        reject(new ApiError(413, 'Request Entity Too Large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headerParam(header, name) {
  const match = new RegExp(`(?:^|;)\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header)
    || new RegExp(`(?:^|;)\\s*${name}=([^;\\s]*)`, 'i').exec(header);
  return match ? match[1] : undefined;
}

/** Splits a multipart/form-data body into text fields and file parts. */
function parseMultipart(body, boundary) {
  const fields = {};
  const files = {};
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos === -1) throw badRequest('malformed multipart body');
  pos += delimiter.length;
  while (body.subarray(pos, pos + 2).toString() !== '--') {
    const headersStart = pos + 2; // after CRLF
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    const end = body.indexOf(nextDelimiter, headersEnd);
    if (headersEnd === -1 || end === -1) throw badRequest('malformed multipart body');
    const headers = {};
    for (const line of body.subarray(headersStart, headersEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const disposition = headers['content-disposition'] || '';
    const name = headerParam(disposition, 'name');
    const filename = headerParam(disposition, 'filename');
    const data = body.subarray(headersEnd + 4, end);
    if (name !== undefined && filename !== undefined) {
      files[name] = {
        filename: decodeURIComponent(filename),
        contentType: headers['content-type'] || 'application/octet-stream',
        data: Buffer.from(data),
      };
    } else if (name !== undefined) {
      fields[name] = data.toString('utf8');
    }
    pos = end + nextDelimiter.length;
  }
  return { fields, files };
}

/** Turns the strings of a form body into the values the Bot API would see. */
function decodeParams(raw) {
  const params = { ...raw };
  for (const key of JSON_FIELDS) {
    if (typeof params[key] === 'string') {
      try {
        params[key] = JSON.parse(params[key]);
      } catch (_err) {
        throw badRequest(`can't parse ${key} JSON object`);
      }
    }
  }
  for (const key of INT_FIELDS) {
    if (typeof params[key] === 'string' && /^-?\d+$/.test(params[key])) {
      params[key] = Number(params[key]);
    }
  }
  for (const key of BOOL_FIELDS) {
    if (params[key] === 'true' || params[key] === 'false') params[key] = params[key] === 'true';
  }
  return params;
}

async function readParams(req) {
  const contentType = req.headers['content-type'] || '';
  if (/^multipart\/form-data/i.test(contentType)) {
    const boundary = headerParam(contentType, 'boundary');
    if (!boundary) throw badRequest('multipart body without a boundary');
    const { fields, files } = parseMultipart(await readRawBody(req), boundary);
    return { params: decodeParams({ ...req.query, ...fields }), files };
  }
  return { params: decodeParams({ ...req.query, ...req.body }), files: {} };
}

// ---------------------------------------------------------------------------------------------
// Images: the dimensions Telegram would report for an uploaded photo.

function jpegSize(data) {
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) return null;
    const marker = data[i + 1];
    if (marker === 0xff) { i += 1; continue; }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7) };
    i += 2 + data.readUInt16BE(i + 2);
  }
  return null;
}

function imageInfo(data) {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length >= 24 && data.subarray(0, 8).equals(png)) {
    return { ext: 'png', mime: 'image/png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 10 && data.subarray(0, 4).toString('latin1') === 'GIF8') {
    return { ext: 'gif', mime: 'image/gif', width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    const size = jpegSize(data);
    if (size) return { ext: 'jpg', mime: 'image/jpeg', ...size };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The emulator: the stock server plus the state our routes keep beside its storage.

class Emulator {
  constructor(port, statePath) {
    this.statePath = statePath;
    // The stock constructor registers the routes of this array in order: ours go first.
    routes.unshift((app) => {
      botRoutes(app, this);
      clientRoutes(app, this);
    });
    this.server = new TelegramServer({ port, host: HOST, storeTimeout: 24 * 60 * 60 });
    this.chats = new Map(); // chat id -> the chat object users sent it with
    this.files = new Map(); // file_id -> {file_id, file_unique_id, file_path, mime, name, data}
    this.fileSeq = 1;
    this.pollers = new Set(); // functions that end a held getUpdates call
    for (const event of ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery']) {
      this.server.on(event, () => this.wakePollers());
    }
  }

  get storage() {
    return this.server.storage;
  }

  // --- ids, chats, stored messages ---

  nextMessageId() {
    return this.server.messageId++;
  }

  nextUpdateId() {
    return this.server.updateId++;
  }

  rememberChat(chat) {
    if (chat && Number.isFinite(Number(chat.id))) this.chats.set(Number(chat.id), chat);
  }

  /** The chat a bot writes to: as users showed it, else guessed from the id's shape. */
  chatFor(chatId) {
    if (typeof chatId !== 'number' || !Number.isSafeInteger(chatId)) throw badRequest('chat not found');
    const known = this.chats.get(chatId);
    if (known) return known;
    if (chatId > 0) return { id: chatId, type: 'private', first_name: `User ${chatId}` };
    if (chatId <= -1000000000000) return { id: chatId, type: 'supergroup', title: `Group ${chatId}` };
    return { id: chatId, type: 'group', title: `Group ${chatId}` };
  }

  /** A message of this bot's chats as the Bot API shows it, or null. */
  findMessage(token, chatId, messageId) {
    const bot = this.findBotEntry(token, chatId, messageId);
    if (bot) return publicMessage(bot.message);
    const user = this.storage.userMessages.find((u) => u.botToken === token && u.message
      && u.messageId === messageId && Number(u.message.chat && u.message.chat.id) === chatId);
    return user ? publicMessage({ ...user.message, message_id: user.messageId }) : null;
  }

  findBotEntry(token, chatId, messageId) {
    return this.storage.botMessages.find((b) => b.botToken === token
      && b.message.message_id === messageId && b.message.chat.id === chatId) || null;
  }

  /** Starts a message from the bot: ids, date, chat, sender and what it replies to. */
  newBotMessage(token, params) {
    const chat = this.chatFor(params.chat_id);
    const message = { message_id: 0, from: { ...BOT }, chat, date: nowSeconds() };
    const reply = params.reply_parameters
      || (params.reply_to_message_id ? { message_id: params.reply_to_message_id } : null);
    if (reply) {
      const replyChat = reply.chat_id === undefined ? chat.id : Number(reply.chat_id);
      const target = this.findMessage(token, replyChat, Number(reply.message_id));
      const allowMissing = reply.allow_sending_without_reply || params.allow_sending_without_reply;
      if (target) message.reply_to_message = target;
      else if (!allowMissing) throw badRequest('message to be replied not found');
    }
    if (params.reply_markup && params.reply_markup.inline_keyboard) {
      message.reply_markup = params.reply_markup;
    }
    return message;
  }

  /** Files the message in the stock storage (with `chat_id`, which the stock client reads). */
  storeBotMessage(token, message) {
    message.message_id = this.nextMessageId();
    this.storage.botMessages.push({
      time: Date.now(),
      botToken: token,
      message: { ...message, chat_id: message.chat.id },
      updateId: this.nextUpdateId(),
      messageId: message.message_id,
      isRead: false,
    });
    this.server.emit('AddedBotMessage');
    return message;
  }

  storeFile(kind, file, info) {
    const seq = this.fileSeq++;
    const hash = crypto.createHash('sha256').update(file.data).digest('hex');
    const ext = info ? `.${info.ext}` : (/\.[A-Za-z0-9]{1,8}$/.exec(file.filename) || [''])[0];
    const stored = {
      file_id: `${kind}-${seq}-${hash.slice(0, 12)}`,
      file_unique_id: `u${hash.slice(0, 15)}`,
      file_path: `${kind}s/file_${seq}${ext}`,
      mime: info ? info.mime : file.contentType,
      name: file.filename,
      data: file.data,
      ...(info ? { width: info.width, height: info.height } : {}),
    };
    this.files.set(stored.file_id, stored);
    return stored;
  }

  /** The upload a send method names: a multipart part (by field or attach://) or a file_id. */
  inputFile(params, files, field) {
    const value = params[field];
    if (typeof value === 'string' && value.startsWith('attach://')) {
      const attached = files[value.slice('attach://'.length)];
      if (attached) return { upload: attached };
    } else if (files[field]) {
      return { upload: files[field] };
    } else if (typeof value === 'string' && this.files.has(value)) {
      return { existing: this.files.get(value) };
    }
    if (value === undefined && !files[field]) throw badRequest(`there is no ${field} in the request`);
    throw badRequest('wrong file identifier/HTTP URL specified');
  }

  // --- getUpdates ---

  /** Marks the updates before `offset` as confirmed, as the Bot API does. */
  confirmUpdates(token, offset) {
    if (typeof offset !== 'number' || offset <= 0) return;
    for (const update of this.storage.userMessages) {
      if (update.botToken === token && update.updateId < offset) update.isRead = true;
    }
  }

  pendingUpdates(token, offset, limit, allowed) {
    return this.storage.userMessages
      .filter((u) => u.botToken === token && !u.isRead
        && (typeof offset !== 'number' || offset <= 0 || u.updateId >= offset))
      .map(formatUpdate)
      .filter((u) => !allowed || allowed.length === 0 || allowed.some((kind) => kind in u))
      .slice(0, limit);
  }

  holdPoll(ms, res) {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.pollers.delete(finish);
        res.off('close', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.pollers.add(finish);
      res.on('close', finish);
    });
  }

  wakePollers() {
    for (const finish of [...this.pollers]) finish();
  }

  // --- user updates from the test side ---

  /**
   * Files a user's message or command as an update, or posts it to the bot's webhook.
   * Ids are taken synchronously (the stock path takes them after awaiting the webhook).
   */
  addUserUpdate(token, message, kind) {
    const update = {
      time: Date.now(),
      botToken: token,
      updateId: this.nextUpdateId(),
      messageId: this.nextMessageId(),
      isRead: false,
      message,
    };
    const webhook = this.server.webhooks[token];
    update.isRead = Boolean(webhook); // kept for history and replies, never polled
    this.storage.userMessages.push(update);
    const event = kind === 'command' ? 'AddedUserCommand' : 'AddedUserMessage';
    if (!webhook) {
      this.server.emit(event);
    } else {
      postWebhook(webhook.url, formatUpdate(update))
        .then(() => this.server.emit(event))
        .catch((err) => console.error(`webhook ${webhook.url} failed for update ${update.updateId}: ${err.message}`));
    }
    return update;
  }

  // --- state across restarts ---

  loadState() {
    if (!this.statePath || !fs.existsSync(this.statePath)) return;
    const state = JSON.parse(fs.readFileSync(this.statePath, 'utf8'));
    if (state.version !== STATE_VERSION) throw new Error(`unknown state version in ${this.statePath}`);
    this.server.updateId = state.updateId;
    this.server.messageId = state.messageId;
    this.server.callbackId = state.callbackId;
    this.server.storage = state.storage;
    this.server.webhooks = state.webhooks;
    this.fileSeq = state.fileSeq;
    this.chats = new Map(state.chats);
    this.files = new Map(state.files.map((f) => [f.file_id, { ...f, data: Buffer.from(f.data, 'base64') }]));
  }

  saveState() {
    if (!this.statePath) return;
    const state = {
      version: STATE_VERSION,
      updateId: this.server.updateId,
      messageId: this.server.messageId,
      callbackId: this.server.callbackId,
      storage: this.storage,
      webhooks: this.server.webhooks,
      fileSeq: this.fileSeq,
      chats: [...this.chats],
      files: [...this.files.values()].map((f) => ({ ...f, data: f.data.toString('base64') })),
    };
    fs.writeFileSync(this.statePath, JSON.stringify(state));
  }
}

/** A stored message without the storage's own fields. */
function publicMessage(message) {
  const { botToken: _token, chat_id: _chatId, ...rest } = message;
  if (rest.reply_to_message) {
    const { reply_to_message: _nested, ...reply } = rest.reply_to_message;
    rest.reply_to_message = reply;
  }
  return rest;
}

function formatUpdate(update) {
  if ('callbackQuery' in update) return TelegramServer.formatUpdate(update);
  return {
    update_id: update.updateId,
    message: publicMessage({ ...update.message, message_id: update.messageId }),
  };
}

async function postWebhook(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

function sameJson(a, b) {
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

function checkLength(value, max, what) {
  if (typeof value === 'string' && [...value].length > max) throw badRequest(`${what} is too long`);
}

// ---------------------------------------------------------------------------------------------
// Routes. They run before the stock ones; the last of them answers every other bot method.

function botRoutes(app, emu) {
  const method = (name, handler) => {
    app.all(`/bot:token/${name}`, async (req, res) => {
      try {
        if (req.method !== 'GET' && req.method !== 'POST') {
          throw badRequest(`HTTP method ${req.method} is not supported`);
        }
        const { params, files } = await readParams(req);
        const result = await handler({ token: req.params.token, params, files, res });
        if (!res.headersSent) res.json({ ok: true, result });
      } catch (err) {
        if (res.headersSent) return;
        if (err instanceof ApiError) {
          sendApiError(res, err.code, err.description);
        } else {
          console.error(`${name} failed:`, err);
          sendApiError(res, 500, `Internal Server Error: ${err.message}`);
        }
      }
    });
  };

  method('getMe', () => ({
    ...BOT,
    can_join_groups: true,
    can_read_all_group_messages: true, // privacy mode off: the bot sees ordinary group messages
    supports_inline_queries: false,
  }));

  method('getUpdates', async ({ token, params, res }) => {
    if (emu.server.webhooks[token]) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
        + 'use deleteWebhook to delete the webhook first');
    }
    const limit = Math.min(Math.max(Number(params.limit) || 100, 1), 100);
    const timeout = Math.max(Number(params.timeout) || 0, 0);
    emu.confirmUpdates(token, params.offset);
    let updates = emu.pendingUpdates(token, params.offset, limit, params.allowed_updates);
    if (updates.length === 0 && timeout > 0) {
      await emu.holdPoll(Math.min(timeout * 1000, POLL_HOLD_MS), res);
      updates = emu.pendingUpdates(token, params.offset, limit, params.allowed_updates);
    }
    return updates;
  });

  method('setWebhook', ({ token, params }) => {
    if (typeof params.url !== 'string') throw badRequest('bad webhook: URL is required');
    if (params.url === '') emu.server.deleteWebhook(token);
    else emu.server.setWebhook({ url: params.url }, token);
    return true;
  });

  method('deleteWebhook', ({ token, params }) => {
    emu.server.deleteWebhook(token);
    if (params.drop_pending_updates) {
      for (const update of emu.storage.userMessages) {
        if (update.botToken === token) update.isRead = true;
      }
    }
    return true;
  });

  method('getWebhookInfo', ({ token }) => ({
    url: (emu.server.webhooks[token] || {}).url || '',
    has_custom_certificate: false,
    pending_update_count: emu.pendingUpdates(token, undefined, Infinity).length,
  }));

  method('sendMessage', ({ token, params }) => {
    if (typeof params.text !== 'string' || params.text.trim() === '') {
      throw badRequest('message text is empty');
    }
    checkLength(params.text, MAX_TEXT, 'message');
    const message = emu.newBotMessage(token, params);
    message.text = params.text;
    if (params.entities && params.entities.length) message.entities = params.entities;
    return publicMessage(emu.storeBotMessage(token, message));
  });

  method('sendPhoto', ({ token, params, files }) => {
    checkLength(params.caption, MAX_CAPTION, 'message caption');
    const input = emu.inputFile(params, files, 'photo');
    let stored = input.existing;
    if (input.upload) {
      const info = imageInfo(input.upload.data);
      if (!info) throw badRequest('IMAGE_PROCESS_FAILED');
      stored = emu.storeFile('photo', input.upload, info);
    }
    if (!stored.width) throw badRequest('wrong file identifier/HTTP URL specified');
    const message = emu.newBotMessage(token, params);
    message.photo = [{
      file_id: stored.file_id,
      file_unique_id: stored.file_unique_id,
      width: stored.width,
      height: stored.height,
      file_size: stored.data.length,
    }];
    if (params.caption) message.caption = params.caption;
    if (params.caption_entities && params.caption_entities.length) {
      message.caption_entities = params.caption_entities;
    }
    return publicMessage(emu.storeBotMessage(token, message));
  });

  method('sendDocument', ({ token, params, files }) => {
    checkLength(params.caption, MAX_CAPTION, 'message caption');
    const input = emu.inputFile(params, files, 'document');
    const stored = input.existing || emu.storeFile('document', input.upload, null);
    const message = emu.newBotMessage(token, params);
    message.document = {
      file_id: stored.file_id,
      file_unique_id: stored.file_unique_id,
      file_name: stored.name,
      mime_type: stored.mime,
      file_size: stored.data.length,
    };
    if (params.caption) message.caption = params.caption;
    if (params.caption_entities && params.caption_entities.length) {
      message.caption_entities = params.caption_entities;
    }
    return publicMessage(emu.storeBotMessage(token, message));
  });

  method('getFile', ({ params }) => {
    const stored = emu.files.get(params.file_id);
    if (!stored) throw badRequest('invalid file_id');
    return {
      file_id: stored.file_id,
      file_unique_id: stored.file_unique_id,
      file_size: stored.data.length,
      file_path: stored.file_path,
    };
  });

  method('editMessageText', ({ token, params }) => {
    if (params.inline_message_id) return true;
    const entry = emu.findBotEntry(token, params.chat_id, params.message_id);
    if (!entry) throw badRequest('message to edit not found');
    const old = entry.message;
    if (typeof old.text !== 'string') throw badRequest('there is no text in the message to edit');
    if (typeof params.text !== 'string' || params.text.trim() === '') {
      throw badRequest('message text is empty');
    }
    checkLength(params.text, MAX_TEXT, 'message');
    const entities = params.entities && params.entities.length ? params.entities : undefined;
    const markup = params.reply_markup && params.reply_markup.inline_keyboard
      ? params.reply_markup : undefined;
    if (old.text === params.text && sameJson(old.entities, entities)
        && sameJson(old.reply_markup, markup)) {
      throw badRequest('message is not modified: specified new message content and reply markup'
        + ' are exactly the same as a current content and reply markup of the message');
    }
    const { entities: _e, reply_markup: _m, ...rest } = old;
    entry.message = { ...rest, text: params.text, edit_date: nowSeconds() };
    if (entities) entry.message.entities = entities;
    if (markup) entry.message.reply_markup = markup;
    emu.server.emit('EditedMessageText');
    return publicMessage(entry.message);
  });

  method('editMessageReplyMarkup', ({ token, params }) => {
    if (params.inline_message_id) return true;
    const entry = emu.findBotEntry(token, params.chat_id, params.message_id);
    if (!entry) throw badRequest('message to edit not found');
    const markup = params.reply_markup && params.reply_markup.inline_keyboard
      ? params.reply_markup : undefined;
    if (sameJson(entry.message.reply_markup, markup)) {
      throw badRequest('message is not modified: specified new message content and reply markup'
        + ' are exactly the same as a current content and reply markup of the message');
    }
    const { reply_markup: _m, ...rest } = entry.message;
    entry.message = { ...rest, edit_date: nowSeconds() };
    if (markup) entry.message.reply_markup = markup;
    emu.server.emit('EditedMessageReplyMarkup');
    return publicMessage(entry.message);
  });

  method('deleteMessage', ({ token, params }) => {
    const storage = emu.storage;
    const isTarget = (chatId, messageId) => chatId === params.chat_id && messageId === params.message_id;
    const before = storage.botMessages.length + storage.userMessages.length;
    storage.botMessages = storage.botMessages.filter((b) => b.botToken !== token
      || !isTarget(b.message.chat.id, b.message.message_id));
    storage.userMessages = storage.userMessages.filter((u) => u.botToken !== token || !u.message
      || !isTarget(Number(u.message.chat && u.message.chat.id), u.messageId));
    if (storage.botMessages.length + storage.userMessages.length === before) {
      throw badRequest('message to delete not found');
    }
    return true;
  });

  method('answerCallbackQuery', () => true);
  method('sendChatAction', () => true);
  method('setMyCommands', () => true);
  method('deleteMyCommands', () => true);
  method('getMyCommands', () => []);

  app.all('/bot:token/:method', (req, res) => {
    sendApiError(res, 400, `Bad Request: method ${req.params.method} is not supported by the`
      + ' test emulator (telegram-test-api 4.2.1 with the gridbot launcher)');
  });

  app.get('/file/bot:token/*', (req, res) => {
    const stored = [...emu.files.values()].find((f) => f.file_path === req.params[0]);
    if (!stored) {
      sendApiError(res, 404, 'Not Found');
      return;
    }
    res.type(stored.mime).send(stored.data);
  });
}

/** The test side's /sendMessage and /sendCommand: users' messages, answered with their ids. */
function clientRoutes(app, emu) {
  const userMessage = (path, kind) => {
    app.post(path, (req, res) => {
      const { botToken, reply_to_message_id: replyTo, ...message } = req.body || {};
      const fail = (description) => res.status(400).json({ ok: false, error_code: 400, description });
      if (!botToken) return fail('botToken is required');
      if (!message.chat || !message.from) return fail('a message needs `chat` and `from`');
      const hasCommand = Array.isArray(message.entities)
        && message.entities.some((e) => e.type === 'bot_command');
      if (kind === 'command' && !hasCommand) return fail('a command needs a bot_command entity');
      message.date = message.date || nowSeconds();
      emu.rememberChat(message.chat);
      if (replyTo !== undefined && replyTo !== null) {
        const target = emu.findMessage(botToken, Number(message.chat.id), Number(replyTo));
        if (!target) return fail(`message ${replyTo} to reply to not found`);
        message.reply_to_message = target;
      }
      // The stock storage keeps the token in the message; formatUpdate drops it again.
      const update = emu.addUserUpdate(botToken, { ...message, botToken }, kind);
      return res.json({ ok: true, result: { message_id: update.messageId, update_id: update.updateId } });
    });
  };
  userMessage('/sendMessage', 'message');
  userMessage('/sendCommand', 'command');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const port = Number(process.argv[2] || process.env.PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node launcher.js PORT   (or set PORT)');
    process.exit(2);
  }
  process.on('unhandledRejection', (reason) => {
    console.error('unhandled rejection:', reason);
  });

  const emu = new Emulator(port, process.env.TELEGRAM_EMULATOR_STATE || null);
  emu.loadState();

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    emu.wakePollers();
    try {
      emu.saveState();
    } catch (err) {
      console.error('saving the emulator state failed:', err);
    }
    await emu.server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await emu.server.start();
  process.stdout.write(`ready ${port}\n`);
}

main().catch((err) => {
  console.error('the Telegram emulator failed to start:', err);
  process.exit(1);
});
