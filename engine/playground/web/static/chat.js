// The chat column: message bubbles, inline keyboards, the reply keyboard, the composer.
// `actions` (given by app.js) does what a person does: send, click, shareContact, sendLocation, upload.
"use strict";

// aiogram-dialog appends invisible characters to reply buttons' text (its callback data): sent back
// as they are, shown without them.
const INVISIBLE_TAIL = /[\u{200c}\u{200d}\u{2060}-\u{2064}\u{ad}\u{1d173}-\u{1d17a}]+$/u;
const visible = (text) => String(text).replace(INVISIBLE_TAIL, "");

const chat = {
  actions: null,
  drawn: new Map(), // message_id -> {key, node}: redraw only what changed, edits and deletions in place

  senderName(message) {
    const from = message.from || {};
    return [from.first_name, from.last_name].filter(Boolean).join(" ") || "?";
  },

  fileLink(file, label, className) {
    const link = el("a", className, label);
    link.href = file.url || `/api/files/${encodeURIComponent(file.file_id)}`;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  },

  media(message) {
    const box = el("div", "media");
    if (message.photo && message.photo.length) {
      const photo = message.photo[message.photo.length - 1];
      const link = this.fileLink(photo, "", "photo");
      const img = el("img");
      img.src = link.href;
      img.alt = "photo";
      link.appendChild(img);
      box.appendChild(link);
    }
    if (message.document) {
      const doc = message.document;
      const link = this.fileLink(doc, "", "document");
      link.appendChild(el("span", "doc-icon", "\u{1F4C4}"));
      link.appendChild(el("span", "doc-name", doc.file_name || "document"));
      if (doc.file_size) link.appendChild(el("span", "doc-size", `${Math.ceil(doc.file_size / 1024)} KB`));
      box.appendChild(link);
    }
    if (message.location) {
      box.appendChild(el("div", "location", `\u{1F4CD} ${message.location.latitude}, ${message.location.longitude}`));
    }
    if (message.contact) {
      const c = message.contact;
      box.appendChild(el("div", "contact", `\u{1F464} ${c.first_name || ""} ${c.phone_number}`));
    }
    return box.childNodes.length ? box : null;
  },

  inlineKeyboard(message) {
    if (message.keyboard_kind !== "inline" || !message.keyboard || !message.keyboard.length) return null;
    const box = el("div", "inline-keyboard");
    for (const row of message.keyboard) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const b = el("button", "inline-button", button.text);
        b.type = "button";
        if (button.kind === "url") {
          b.classList.add("url");
          b.title = button.value;
          b.addEventListener("click", () => {
            if (SAFE_URL.test(button.value)) window.open(button.value, "_blank", "noopener");
          });
        } else if (button.kind === "callback_data") {
          b.addEventListener("click", () => this.actions.click(message, button));
        } else {
          b.disabled = true;
          b.title = `${button.kind} buttons are not simulated`;
        }
        line.appendChild(b);
      }
      box.appendChild(line);
    }
    return box;
  },

  bubble(message) {
    const mine = !message.from_bot;
    const node = el("div", `bubble ${mine ? "out" : "in"}`);
    node.dataset.messageId = message.message_id;
    if (this.showSenders && mine) node.appendChild(el("div", "sender", this.senderName(message)));
    if (message.reply_to_message) {
      const quoted = message.reply_to_message;
      const what = quoted.text || quoted.caption || (quoted.document ? `📄 ${quoted.document.file_name || "document"}`
        : quoted.photo ? "🖼 photo" : "…");
      node.appendChild(el("div", "quote", what.slice(0, 80)));
    }
    const media = this.media(message);
    if (media) node.appendChild(media);
    const body = message.text !== undefined ? message.text : message.caption;
    if (body !== undefined && body !== null) {
      const text = el("div", message.text !== undefined ? "text" : "text caption");
      text.appendChild(formatted(body, message.text !== undefined ? message.entities : message.caption_entities));
      node.appendChild(text);
    }
    const meta = el("div", "meta");
    if (message.edit_date) meta.appendChild(el("span", "edited", "edited"));
    const time = new Date((message.date || 0) * 1000);
    meta.appendChild(el("span", "time", time.toTimeString().slice(0, 5)));
    node.appendChild(meta);
    const keyboard = this.inlineKeyboard(message);
    if (keyboard) node.appendChild(keyboard);
    const reply = el("button", "reply-action", "↩");
    reply.type = "button";
    reply.title = "reply to this message";
    reply.addEventListener("click", () => this.replyTo(message));
    node.appendChild(reply);
    return node;
  },

  // Replying (a manager answers a ticket's card with its PDF): the next text or file quotes this message.
  replying: null,
  replyTo(message) {
    this.replying = message;
    const bar = document.getElementById("replying");
    bar.hidden = message === null;
    document.getElementById("replying-text").textContent = message === null ? ""
      : `↩ ${this.senderName(message)}: ${(message.text || message.caption || "…").slice(0, 60)}`;
    if (message !== null) document.getElementById("text").focus();
  },
  takeReply() {
    const message = this.replying;
    this.replyTo(null);
    return message === null ? undefined : message.message_id;
  },

  // Draws the messages of the open chat; keeps the nodes of unchanged messages.
  render(messages, { reset = false, showSenders = false } = {}) {
    const list = document.getElementById("messages");
    this.showSenders = showSenders;
    if (reset) {
      list.replaceChildren();
      this.drawn.clear();
      this.replyTo(null);
    }
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    let grew = false;
    const present = new Set(messages.filter((m) => !m.deleted).map((m) => m.message_id));
    for (const [id, old] of this.drawn) { // deleted by the bot: gone, as in Telegram
      if (!present.has(id)) {
        old.node.remove();
        this.drawn.delete(id);
      }
    }
    for (const message of messages) {
      if (message.deleted) continue;
      const key = JSON.stringify(message);
      const old = this.drawn.get(message.message_id);
      if (old && old.key === key) continue;
      const node = this.bubble(message);
      if (old) {
        old.node.replaceWith(node);
      } else {
        list.appendChild(node);
        grew = true;
      }
      this.drawn.set(message.message_id, { key, node });
    }
    if (grew && (atBottom || reset)) list.scrollTop = list.scrollHeight;
  },

  // The reply keyboard under the composer (contact and location requests included).
  replyKeyboard(rows) {
    const box = document.getElementById("reply-keyboard");
    box.replaceChildren();
    box.hidden = !rows || !rows.length;
    for (const row of rows || []) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const b = el("button", "reply-button", visible(button.text));
        b.type = "button";
        if (button.kind === "request_contact") {
          b.classList.add("contact");
          b.addEventListener("click", () => panels.openContact());
        } else if (button.kind === "request_location") {
          b.classList.add("location");
          b.addEventListener("click", () => panels.openLocation());
        } else {
          b.addEventListener("click", () => this.actions.send(button.text));
        }
        line.appendChild(b);
      }
      box.appendChild(line);
    }
  },

  // The command menu from setMyCommands, shown when the text starts with "/".
  commands: [],
  setCommands(commands) {
    this.commands = commands || [];
    document.getElementById("menu-button").hidden = !this.commands.length;
  },
  showMenu(filter) {
    const menu = document.getElementById("command-menu");
    const shown = this.commands.filter((c) => `/${c.command}`.startsWith(filter || "/"));
    menu.replaceChildren();
    menu.hidden = !shown.length;
    for (const c of shown) {
      const item = el("button", "command");
      item.type = "button";
      item.appendChild(el("span", "command-name", `/${c.command}`));
      item.appendChild(el("span", "command-description", c.description));
      item.addEventListener("click", () => {
        menu.hidden = true;
        this.actions.send(`/${c.command}`);
      });
      menu.appendChild(item);
    }
  },

  wireComposer() {
    const form = document.getElementById("composer");
    const input = document.getElementById("text");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.value = "";
      document.getElementById("command-menu").hidden = true;
      this.actions.send(text);
    });
    input.addEventListener("input", () => {
      if (input.value.startsWith("/") && !input.value.includes(" ")) this.showMenu(input.value);
      else document.getElementById("command-menu").hidden = true;
    });
    document.getElementById("replying-cancel").addEventListener("click", () => this.replyTo(null));
    document.getElementById("menu-button").addEventListener("click", () => {
      const menu = document.getElementById("command-menu");
      if (menu.hidden) this.showMenu("/");
      else menu.hidden = true;
    });
    const file = document.getElementById("file");
    file.addEventListener("change", () => {
      if (file.files.length) this.actions.upload(file.files[0], input.value);
      input.value = "";
      file.value = "";
    });
  },
};

// Toasts and alerts from callback answers, and the page's own notices.
function toast(text, { alert = false, error = false } = {}) {
  if (alert) {
    const box = document.getElementById("alert");
    document.getElementById("alert-text").textContent = text;
    box.hidden = false;
    return;
  }
  const node = el("div", `toast${error ? " error" : ""}`, text);
  document.getElementById("toasts").appendChild(node);
  setTimeout(() => node.remove(), error ? 6000 : 3000);
}
