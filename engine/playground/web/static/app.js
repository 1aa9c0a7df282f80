// The page's state (which bot, which person, which chat) and the loop that keeps it fresh.
// Every server path is in `paths` (the contract is ../API.md).
"use strict";

const paths = {
  state: () => "/api/state",
  messages: (bot, chat) => `/api/bots/${encodeURIComponent(bot)}/chats/${chat}/messages`,
  calls: (bot, since) => `/api/bots/${encodeURIComponent(bot)}/calls?since=${since}`,
  sandbox: (bot) => `/api/bots/${encodeURIComponent(bot)}/sandbox`,
  graph: (bot) => `/api/bots/${encodeURIComponent(bot)}/graph`,
  reload: () => "/api/reload",
  act: (bot, what) => `/api/bots/${encodeURIComponent(bot)}/${what}`,
  people: () => "/api/people",
  person: (id) => `/api/people/${id}`,
  time: () => "/api/time",
  recording: (bot) => `/api/bots/${encodeURIComponent(bot)}/recording`,
  recordingClear: (bot) => `/api/bots/${encodeURIComponent(bot)}/recording/clear`,
};

const app = {
  world: { bots: [], people: [], chats: [] },
  bot: null, // a bot's name
  user: null, // a person's id
  chatId: null,
  callList: [],

  botInfo() { return this.world.bots.find((b) => b.name === this.bot) || null; },
  me() { return this.world.people.find((p) => p.id === this.user) || { id: this.user }; },
  chatsOf(bot, user) {
    return this.world.chats.filter((c) => c.bot === bot && (c.members || []).map(Number).includes(user));
  },

  async refreshWorld() {
    this.world = await api.get(paths.state());
    if (!this.bot && this.world.bots.length) this.bot = this.world.bots[0].name;
    if (this.user === null && this.world.people.length) this.user = this.world.people[0].id;
    const chats = this.chatsOf(this.bot, this.user);
    if (!chats.some((c) => c.id === this.chatId)) {
      const first = chats.find((c) => c.type === "private") || chats[0];
      this.chatId = first ? first.id : null;
    }
    this.drawSwitchers();
  },

  drawSwitchers() {
    const button = (label, sub, active, onClick, data) => {
      const b = el("button", active ? "active" : "", label);
      b.type = "button";
      if (sub) b.appendChild(el("span", "sub", sub));
      for (const [k, v] of Object.entries(data || {})) b.dataset[k] = v;
      b.addEventListener("click", onClick);
      return b;
    };
    document.getElementById("bots").replaceChildren(...this.world.bots.map((b) =>
      button(b.title || b.name, b.username ? `@${b.username}` : b.name, b.name === this.bot,
        () => this.choose({ bot: b.name }), { bot: b.name })));
    document.getElementById("people").replaceChildren(...this.world.people.map((p) =>
      button(p.first_name, p.language_code || "", p.id === this.user, () => this.choose({ user: p.id }),
        { person: p.first_name })));
    document.getElementById("chats").replaceChildren(...this.chatsOf(this.bot, this.user).map((c) =>
      button(c.type === "private" ? "Private chat" : c.title, c.type === "private" ? "" : c.type,
        c.id === this.chatId, () => this.choose({ chat: c.id }), { chat: c.type === "private" ? "private" : c.title })));
    const me = this.me();
    const locale = document.getElementById("locale");
    if (document.activeElement !== locale) locale.value = me.language_code || "ru";
    const phone = document.getElementById("phone");
    if (document.activeElement !== phone) phone.value = me.phone || "";
    const chatInfo = this.world.chats.find((c) => c.id === this.chatId);
    const bot = this.botInfo();
    document.getElementById("chat-title").textContent = chatInfo && chatInfo.type !== "private"
      ? chatInfo.title : (bot ? bot.title || bot.name : "");
    document.getElementById("chat-subtitle").textContent =
      `${me.first_name || ""} · ${chatInfo && chatInfo.type !== "private" ? `${(chatInfo.members || []).length} members` : "bot"}`;
    const commands = bot && bot.commands ? (Array.isArray(bot.commands) ? bot.commands
      : bot.commands[me.language_code] || bot.commands[""] || []) : [];
    chat.setCommands(commands);
  },

  async choose(change) {
    if (change.bot !== undefined) { this.bot = change.bot; this.callList = []; }
    if (change.user !== undefined) this.user = change.user;
    if (change.chat !== undefined) this.chatId = change.chat;
    else this.chatId = null;
    await this.refreshWorld();
    if (this.chatId === null) this.chatId = this.privateChatPending();
    await this.refreshChat(true);
    this.refreshSlow();
  },

  // A person who never wrote to this bot has no chat yet: their private chat opens on the first message.
  privateChatPending() { return null; },

  target(extra) { return { chat_id: this.chatId, user_id: this.user, ...extra }; },

  async act(what, body) {
    try {
      const result = await api.post(paths.act(this.bot, what), this.target(body));
      if (result && result.chat_id && this.chatId === null) this.chatId = result.chat_id;
      const answer = result && result.answer;
      if (answer && answer.text) toast(answer.text, { alert: Boolean(answer.show_alert) });
      await this.refreshWorld();
      await this.refreshChat(false);
    } catch (err) {
      toast(err.message, { error: true });
    }
  },

  async refreshChat(reset) {
    if (this.chatId === null) {
      chat.render([], { reset: true });
      chat.replyKeyboard(null);
      return;
    }
    const data = await api.get(paths.messages(this.bot, this.chatId));
    const messages = Array.isArray(data) ? data : data.messages;
    const info = this.world.chats.find((c) => c.id === this.chatId);
    chat.render(messages, { reset, showSenders: Boolean(info && info.type !== "private") });
    chat.replyKeyboard(Array.isArray(data) ? info && info.reply_keyboard : data.reply_keyboard);
  },

  // The reload status always; a side panel only while its tab is open (the graph is large).
  async refreshSlow() {
    const open = (tab) => !document.getElementById(`tab-${tab}`).hidden;
    const skip = Promise.resolve(null);
    try {
      const [reload, calls, sandbox, graph] = await Promise.all([
        api.get(paths.reload()),
        open("calls") ? api.get(paths.calls(this.bot, 0)) : skip,
        open("sandbox") ? api.get(paths.sandbox(this.bot)) : skip,
        open("graph") ? api.get(paths.graph(this.bot)) : skip,
      ]);
      panels.reload(reload);
      if (calls) panels.calls(calls);
      if (sandbox) panels.sandbox(sandbox);
      if (graph) panels.graph(graph.svg, graph.here || []);
    } catch (err) {
      toast(err.message, { error: true });
    }
  },

  async tick() {
    try {
      await this.refreshWorld();
      await this.refreshChat(false);
      await this.refreshSlow();
    } catch (err) {
      toast(err.message, { error: true });
    }
    setTimeout(() => this.tick(), 700);
  },

  wirePerson() {
    document.getElementById("new-person").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("new-person-name");
      const name = input.value.trim();
      if (!name) return;
      try {
        const person = await api.post(paths.people(), { first_name: name, language_code: document.getElementById("locale").value });
        input.value = "";
        await this.choose({ user: person.id });
      } catch (err) { toast(err.message, { error: true }); }
    });
    const update = async (change) => {
      try {
        await api.post(paths.person(this.user), change);
        await this.refreshWorld();
      } catch (err) { toast(err.message, { error: true }); }
    };
    document.getElementById("locale").addEventListener("change", (e) => update({ language_code: e.target.value }));
    document.getElementById("phone").addEventListener("change", (e) => update({ phone: e.target.value.trim() }));
  },

  // "Save as test": what was done with this bot since its start (or the last ⟲) as a conversation test file.
  wireRecording() {
    document.getElementById("save-test").addEventListener("click", async () => {
      try {
        const recorded = await api.get(paths.recording(this.bot));
        if (!recorded.steps) { toast("Nothing recorded yet for this bot"); return; }
        const link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([recorded.yaml], { type: "application/x-yaml" }));
        link.download = recorded.file_name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 1000);
        toast(`Saved ${recorded.steps} steps as ${recorded.file_name}: put it in tests/conversations/${this.bot}/`);
      } catch (err) { toast(err.message, { error: true }); }
    });
    document.getElementById("clear-test").addEventListener("click", async () => {
      try {
        await api.post(paths.recordingClear(this.bot));
        toast("A new recording starts with the next step");
      } catch (err) { toast(err.message, { error: true }); }
    });
  },

  start() {
    const actions = {
      send: (text) => this.act("send", { text, reply_to: chat.takeReply() }),
      click: (message, button) => this.act("click", { message_id: message.message_id, callback_data: button.value }),
      shareContact: ({ phone, of, name }) => this.act("contact", of === undefined
        ? { phone_number: phone } : { phone_number: phone, contact_user_id: of, first_name: name }),
      sendLocation: (latitude, longitude) => this.act("location", { latitude, longitude }),
      upload: async (file, caption) => this.act("document", {
        file_name: file.name, mime_type: file.type || "application/octet-stream",
        data_base64: await fileToBase64(file), caption: caption || undefined, reply_to: chat.takeReply(),
      }),
      moveTime: async (amount) => {
        const result = await api.post(paths.time(), { bot: this.bot, advance: amount });
        await this.refreshChat(false);
        return result && result.summary ? result.summary : `moved ${amount}`;
      },
      refresh: () => this.refreshSlow(),
      people: () => this.world.people,
      me: () => this.me(),
    };
    chat.actions = actions;
    panels.actions = actions;
    chat.wireComposer();
    panels.wireTabs();
    panels.wireTime();
    panels.wireDialogs();
    this.wirePerson();
    this.wireRecording();
    this.refreshWorld().then(() => this.refreshChat(true)).catch((err) => toast(err.message, { error: true }))
      .finally(() => this.tick());
  },
};

app.start();
