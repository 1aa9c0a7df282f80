// Telegram formatting, drawn safely: bot text is never given to innerHTML. A message arrives as plain
// text plus entities (offsets in UTF-16 code units, which is what JavaScript strings count), and each
// entity becomes a DOM node from a whitelist; text is only ever a text node.
"use strict";

const ENTITY_TAGS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  spoiler: "tg-spoiler", blockquote: "blockquote", expandable_blockquote: "blockquote",
  text_link: "a", url: "a", text_mention: "a",
};
const SAFE_URL = /^(https?:|tg:|mailto:)/i;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function entityNode(entity, text) {
  const tag = ENTITY_TAGS[entity.type];
  if (!tag) return document.createElement("span");
  const node = document.createElement(tag === "tg-spoiler" ? "span" : tag);
  if (tag === "tg-spoiler") {
    node.className = "spoiler";
    node.title = "spoiler: click to reveal";
    node.addEventListener("click", () => node.classList.add("revealed"));
  }
  if (tag === "a") {
    let href = entity.url || (entity.type === "url" ? text : "");
    if (entity.type === "text_mention" && entity.user) href = `tg://user?id=${entity.user.id}`;
    if (SAFE_URL.test(href)) {
      node.href = href;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
  }
  if (tag === "pre" && entity.language) node.dataset.language = entity.language;
  return node;
}

// Appends text[start:end) with the entities that lie inside it (sorted, properly nested) to parent.
function appendFormatted(parent, text, entities, start, end) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const eStart = Math.max(entity.offset, start);
    const eEnd = Math.min(entity.offset + entity.length, end);
    if (eStart > pos) parent.appendChild(document.createTextNode(text.slice(pos, eStart)));
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < eEnd) {
      inner.push(entities[j]);
      j += 1;
    }
    const node = entityNode(entity, text.slice(eStart, eEnd));
    appendFormatted(node, text, inner, Math.max(eStart, pos), eEnd);
    parent.appendChild(node);
    pos = Math.max(pos, eEnd);
    i = j;
  }
  if (pos < end) parent.appendChild(document.createTextNode(text.slice(pos, end)));
}

// A DOM fragment for a message's text (or caption) and its entities.
function formatted(text, entities) {
  const fragment = document.createDocumentFragment();
  const sorted = (entities || [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .slice()
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  appendFormatted(fragment, String(text || ""), sorted, 0, String(text || "").length);
  return fragment;
}

// Telegram HTML (e.g. a diagnostic's excerpt) to DOM through a whitelist; anything else is text.
const HTML_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre",
  "a", "tg-spoiler", "blockquote"]);
function sanitizedHtml(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const copy = (source, target) => {
    for (const child of source.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        target.appendChild(document.createTextNode(child.textContent));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName.toLowerCase();
        if (!HTML_TAGS.has(tag)) { copy(child, target); continue; }
        const type = tag === "a" ? "text_link" : tag === "tg-spoiler" ? "spoiler" : tag;
        const node = tag === "a" || tag === "tg-spoiler"
          ? entityNode({ type, url: child.getAttribute("href") || "" }, child.textContent)
          : document.createElement(tag);
        copy(child, node);
        target.appendChild(node);
      }
    }
  };
  const fragment = document.createDocumentFragment();
  copy(doc.body, fragment);
  return fragment;
}
