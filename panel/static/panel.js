// switchflow panel: the two helpers every page uses. No framework, no build step.
"use strict";
window.sf = (function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // POST `data` (an object, sent as JSON, or a FormData) with the CSRF token;
  // resolves to the JSON answer, rejects with an Error carrying the server's message.
  function post(url, data) {
    var headers = {"X-CSRFToken": csrfToken(), "Accept": "application/json"};
    var body = data;
    if (!(data instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(data || {});
    }
    return fetch(url, {method: "POST", headers: headers, body: body, credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); }
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) {
            var error = new Error(json.error || ("the panel answered " + response.status));
            error.status = response.status;
            throw error;
          }
          return json;
        });
      });
  }

  // Follow a live stream: `handlers` maps an event kind to fn(data, event).
  // The browser reconnects by itself, sending Last-Event-ID, so nothing is missed.
  // Returns the EventSource; `handlers.$state` (optional) hears "open" and "lost".
  function live(url, handlers) {
    var source = new EventSource(url);
    Object.keys(handlers).forEach(function (kind) {
      if (kind.charAt(0) === "$") { return; }
      source.addEventListener(kind, function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        handlers[kind](data, event);
      });
    });
    if (handlers.$state) {
      source.addEventListener("open", function () { handlers.$state("open"); });
      source.addEventListener("error", function () { handlers.$state("lost"); });
    }
    return source;
  }

  // Put text into elements marked data-field="NAME" under `root` (never as HTML).
  function fill(root, fields) {
    Object.keys(fields).forEach(function (name) {
      root.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
        el.textContent = fields[name] == null ? "" : String(fields[name]);
      });
    });
  }

  return {post: post, live: live, fill: fill, csrfToken: csrfToken};
})();
