// The side panels (Bot API calls, sandboxes, flow graph, move time), the banners (diagnostics, restart
// needed) and the contact and location dialogs.
"use strict";

const LOCATION_PRESETS = [
  ["Tashkent", 41.311081, 69.240562], ["Samarkand", 39.654166, 66.959722],
  ["Bukhara", 39.767966, 64.421728], ["Moscow", 55.755826, 37.6173],
];

const panels = {
  actions: null,

  wireTabs() {
    document.getElementById("graph-wide").addEventListener("click", () => {
      document.getElementById("layout").classList.toggle("wide-graph");
    });
    for (const tab of document.querySelectorAll("#tabs button")) {
      tab.addEventListener("click", () => {
        for (const other of document.querySelectorAll("#tabs button")) other.classList.toggle("active", other === tab);
        for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${tab.dataset.tab}`;
        this.actions.refresh();
      });
    }
  },

  // Bot API calls, newest first; refused ones in red with the emulator's reason.
  calls(all) {
    const box = document.getElementById("calls");
    const list = all.filter((call) => call.method !== "getUpdates" || !call.ok); // long polling is noise
    const key = JSON.stringify(list.length ? list[list.length - 1] : null) + list.length;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    for (const call of list.slice().reverse().slice(0, 200)) {
      const item = el("details", `call${call.ok ? "" : " refused"}`);
      const summary = el("summary");
      summary.appendChild(el("span", "method", call.method));
      if (!call.ok) summary.appendChild(el("span", "reason", ` — ${call.error_code || ""} ${call.error_description || "refused"}`));
      item.appendChild(summary);
      item.appendChild(el("pre", "", JSON.stringify(call.params, null, 1)));
      box.appendChild(item);
    }
  },

  // Each sandbox panel is {title, rows: [{...}]} (REGOS calls, REGOS orders, tickets...): drawn as a table.
  sandbox(list) {
    const box = document.getElementById("sandbox");
    const key = JSON.stringify(list);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    if (!list.length) box.appendChild(el("div", "muted", "This bot has no sandbox."));
    for (const panel of list) {
      const section = el("div", "sandbox-panel");
      section.dataset.panel = panel.name || panel.title;
      section.appendChild(el("h3", "", `${panel.title} (${(panel.rows || []).length})`));
      const rows = panel.rows || [];
      const columns = panel.columns || [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const table = el("table", "sandbox-table");
      const head = el("tr");
      for (const column of columns) head.appendChild(el("th", "", column));
      table.appendChild(head);
      for (const row of rows.slice().reverse()) {
        const line = el("tr");
        for (const column of columns) {
          const value = row[column];
          const cell = el("td");
          if (value !== null && typeof value === "object") cell.appendChild(el("pre", "", JSON.stringify(value, null, 1)));
          else cell.textContent = value === undefined || value === null ? "" : String(value);
          line.appendChild(cell);
        }
        table.appendChild(line);
      }
      section.appendChild(table);
      box.appendChild(section);
    }
  },

  // The flow graph: SVG from the server, cleaned (no scripts, no event attributes), windows marked.
  graphSource: null,
  graph(svgText, here) {
    const box = document.getElementById("graph");
    if (svgText !== this.graphSource) {
      this.graphSource = svgText;
      box.replaceChildren();
      if (!svgText) return;
      const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
      const svg = doc.documentElement;
      if (svg.nodeName.toLowerCase() !== "svg") return;
      for (const bad of svg.querySelectorAll("script, foreignObject, iframe")) bad.remove();
      for (const node of [svg, ...svg.querySelectorAll("*")]) {
        for (const attr of [...node.attributes]) {
          if (/^on/i.test(attr.name) || (/href$/i.test(attr.name) && /^\s*javascript:/i.test(attr.value))) node.removeAttribute(attr.name);
        }
      }
      box.appendChild(el("div", "here-list muted"));
      box.appendChild(document.importNode(svg, true));
    }
    const list = box.querySelector(".here-list");
    if (list) list.textContent = here && here.length ? `Now: ${here.join(", ")}` : "";
    for (const node of box.querySelectorAll("g.node")) {
      const title = node.querySelector("title");
      const name = title ? title.textContent.trim() : node.id;
      node.classList.toggle("current", (here || []).some((h) => name === h || name.endsWith(`/${h}`) || name.endsWith(`.${h}`)));
    }
  },

  // Diagnostics of a failed reload ({file, line, col, message, hint}) and the restart-needed note.
  reload(status) {
    const banner = document.getElementById("diagnostics");
    const diagnostics = (status && status.diagnostics) || [];
    banner.hidden = !diagnostics.length;
    const list = document.getElementById("diagnostic-list");
    const key = JSON.stringify(diagnostics);
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren();
      for (const d of diagnostics) {
        const item = el("li", "diagnostic");
        const where = [d.file, d.line, d.col].filter((x) => x !== undefined && x !== null && x !== "").join(":");
        item.appendChild(el("span", "where", where));
        item.appendChild(document.createTextNode(` ${d.code ? `[${d.code}] ` : ""}${d.message || ""}`));
        if (d.hint) item.appendChild(el("span", "hint", `hint: ${d.hint}`));
        list.appendChild(item);
      }
    }
    const restart = document.getElementById("restart");
    const changed = (status && status.restart_needed) || [];
    restart.hidden = !changed.length;
    restart.textContent = changed.length
      ? `Python changed (${changed.join(", ")}): restart the playground to load it.` : "";
  },

  wireTime() {
    document.getElementById("time-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const amount = document.getElementById("time-amount").value.trim();
      const out = document.getElementById("time-result");
      try {
        out.textContent = await this.actions.moveTime(amount);
      } catch (err) {
        out.textContent = "";
        toast(err.message, { error: true });
      }
    });
  },

  // Share contact: my own (the profile's editable phone) or someone else's (a forwarded contact).
  openContact() {
    const people = this.actions.people();
    const select = document.getElementById("contact-person");
    select.replaceChildren();
    for (const person of people.filter((p) => p.id !== this.actions.me().id)) {
      const option = el("option", "", person.first_name);
      option.value = person.id;
      select.appendChild(option);
    }
    document.getElementById("contact-phone").value = document.getElementById("phone").value;
    document.getElementById("contact-dialog").showModal();
  },

  openLocation() {
    document.getElementById("location-error").textContent = "";
    document.getElementById("location-dialog").showModal();
  },

  wireDialogs() {
    const contact = document.getElementById("contact-dialog");
    document.getElementById("contact-cancel").addEventListener("click", () => contact.close());
    document.getElementById("contact-form").addEventListener("submit", () => {
      const whose = contact.querySelector("input[name=whose]:checked").value;
      if (whose === "mine") {
        this.actions.shareContact({ phone: document.getElementById("contact-phone").value.trim() });
      } else {
        const select = document.getElementById("contact-person");
        this.actions.shareContact({
          phone: document.getElementById("contact-other-phone").value.trim(),
          of: Number(select.value), name: select.selectedOptions[0] ? select.selectedOptions[0].textContent : "",
        });
      }
    });
    const location = document.getElementById("location-dialog");
    const presets = document.getElementById("location-presets");
    for (const [name, lat, lon] of LOCATION_PRESETS) {
      const b = el("button", "", name);
      b.type = "button";
      b.addEventListener("click", () => {
        document.getElementById("latitude").value = lat;
        document.getElementById("longitude").value = lon;
      });
      presets.appendChild(b);
    }
    document.getElementById("location-cancel").addEventListener("click", () => location.close());
    document.getElementById("location-form").addEventListener("submit", (event) => {
      const lat = Number(document.getElementById("latitude").value);
      const lon = Number(document.getElementById("longitude").value);
      const bad = !document.getElementById("latitude").value || !document.getElementById("longitude").value
        || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180);
      if (bad) {
        event.preventDefault();
        document.getElementById("location-error").textContent = "Latitude is -90…90 and longitude -180…180.";
        return;
      }
      this.actions.sendLocation(lat, lon);
    });
    document.getElementById("alert-ok").addEventListener("click", () => { document.getElementById("alert").hidden = true; });
  },
};
