// The page's only door to the server: every call to the JSON API under /api/ (see ../API.md).
// Replies are {"ok": true, "result": ...} or {"ok": false, "error": "..."}; errors become ApiError.
"use strict";

class ApiError extends Error {}

const api = {
  async request(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let reply;
    try {
      reply = await fetch(path, init);
    } catch (err) {
      throw new ApiError("the playground server does not answer (was it stopped?)");
    }
    let data = null;
    try {
      data = await reply.json();
    } catch (err) {
      throw new ApiError(`${method} ${path}: HTTP ${reply.status}`);
    }
    if (!reply.ok || (data && data.ok === false)) {
      throw new ApiError((data && (data.error || data.message)) || `${method} ${path}: HTTP ${reply.status}`);
    }
    return data && "result" in data ? data.result : data;
  },
  get(path) { return this.request("GET", path); },
  post(path, body) { return this.request("POST", path, body || {}); },
};

// base64 of a File's bytes, for uploads in a JSON body.
function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new ApiError(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}
