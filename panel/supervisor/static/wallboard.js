// The wallboard: rows kept current by /supervisor/events; times in state tick here
// from each row's since-timestamp (corrected by the server's clock). Text only, never HTML.
"use strict";
(function () {
  var root = document.getElementById("wallboard");
  if (!root) { return; }
  var skew = Date.parse(root.dataset.now) - Date.now() || 0;
  var MODES = {listen: "Listen", whisper: "Whisper", barge: "Join"};

  function $(sel, el) { return (el || document).querySelector(sel); }
  function cssEscape(v) { return window.CSS && CSS.escape ? CSS.escape(v) : String(v).replace(/["\\]/g, "\\$&"); }
  function duration(since) {
    var s = Math.max(0, Math.floor((Date.now() + skew - Date.parse(since)) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  }
  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = el.dataset.since ? duration(el.dataset.since) : "";
    });
  }
  function say(text, bad) {
    var p = $("#wallboard-message");
    p.textContent = text; p.hidden = !text; p.classList.toggle("error", !!bad);
  }
  function pct(v) { return v == null ? "—" : v.toFixed(1) + " %"; }
  function secs(v) { return v == null ? "—" : Math.round(v) + " s"; }

  function agent(a) {
    var row = $('tr[data-agent="' + cssEscape(a.agent) + '"]');
    if (!row) {
      row = $("#agent-row").content.firstElementChild.cloneNode(true);
      row.dataset.agent = a.agent;
      $('[data-field="agent"]', row).textContent = a.agent;
      row.querySelectorAll("[data-eavesdrop]").forEach(function (b) { b.dataset.agentName = a.agent; });
      $("#agent-rows").appendChild(row);
    }
    if (a.name !== undefined) { sf.fill(row, {name: a.name}); }
    sf.fill(row, {status: a.reachable ? a.status : a.status + " — phone not registered",
                  state: a.state, caller: a.caller,
                  queues: (a.queues || []).join(", "),
                  phone: a.reachable ? a.phone : "phone not registered"});
    $('[data-field="time"]', row).dataset.since = a.since || "";
    row.classList.toggle("unreachable", !a.reachable);
    row.querySelectorAll("[data-eavesdrop]").forEach(function (b) { b.disabled = !a.on_call; });
  }
  function agentGone(a) {
    var row = $('tr[data-agent="' + cssEscape(a.agent) + '"]');
    if (row) { row.remove(); }
  }
  function queue(q) {
    var row = $('tr[data-queue="' + cssEscape(q.queue) + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.queue = q.queue;
      ["name", "waiting", "longest"].forEach(function (f) {
        var td = document.createElement("td"); td.dataset.field = f; row.appendChild(td);
      });
      row.firstChild.textContent = q.queue;
      $("#queue-rows").appendChild(row);
    }
    $('[data-field="waiting"]', row).textContent = q.waiting;
    $('[data-field="longest"]', row).dataset.since = q.oldest_since || "";
  }
  function ivr(d) {
    var body = $("#ivr-rows");
    body.textContent = "";
    Object.keys(d.flows || {}).forEach(function (flow) {
      var tr = document.createElement("tr"), a = document.createElement("td"), b = document.createElement("td");
      tr.dataset.flow = flow; a.textContent = flow; b.dataset.field = "calls"; b.textContent = d.flows[flow];
      tr.appendChild(a); tr.appendChild(b); body.appendChild(tr);
    });
  }
  function kpis(k) {
    if (!k) { return; }
    var shown = {service_level: pct(k.service_level), abandon_rate: pct(k.abandon_rate),
                 asa_s: secs(k.asa_s), aht_s: secs(k.aht_s), occupancy: pct(k.occupancy)};
    Object.keys(k).forEach(function (key) {
      document.querySelectorAll('[data-kpi="' + key + '"]').forEach(function (el) {
        el.textContent = key in shown ? shown[key] : (k[key] == null ? "" : k[key]);
      });
    });
  }
  function button(text, data) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    Object.keys(data).forEach(function (k) { b.dataset[k] = data[k]; });
    return b;
  }
  function help(h) {
    if ($('li[data-help="' + h.id + '"]')) { return; }
    var li = document.createElement("li");
    li.dataset.help = h.id;
    [["agent", h.agent, "strong"], ["caller", h.caller, "span"], ["note", h.note, "span"]].forEach(function (f) {
      var el = document.createElement(f[2]); el.dataset.field = f[0]; el.textContent = f[1] || ""; li.appendChild(el); li.appendChild(document.createTextNode(" "));
    });
    var since = document.createElement("span");
    since.className = "muted"; since.dataset.since = h.raised_at; li.appendChild(since);
    Object.keys(MODES).forEach(function (mode) {
      var b = button(MODES[mode], {eavesdrop: mode, helpId: h.id});
      b.className = "secondary"; b.disabled = !h.on_call; li.appendChild(b);
    });
    li.appendChild(button("Handled", {handled: h.id}));
    $("#help-list").appendChild(li);
    $("#help-none").hidden = true;
    tick();
  }
  function helpRaised(h) {
    help(h);
    say("Help requested by " + h.agent + (h.note ? ": " + h.note : ""));
  }
  function helpHandled(h) {
    var li = $('li[data-help="' + h.id + '"]');
    if (li) { li.remove(); }
    $("#help-none").hidden = !!$("#help-list li");
  }
  function everything(state) {
    skew = Date.parse(state.now) - Date.now() || 0;
    var seen = {};
    (state.agents || []).forEach(function (a) { seen[a.agent] = true; agent(a); });
    document.querySelectorAll("tr[data-agent]").forEach(function (row) {
      if (row.dataset.agent && !seen[row.dataset.agent]) { row.remove(); }
    });
    (state.queues || []).forEach(queue);
    ivr({flows: state.ivr});
    kpis(state.kpis);
    if (state.help) {            // the board's own snapshot carries no help requests
      var open = {};
      state.help.forEach(function (h) { open[h.id] = true; help(h); });
      document.querySelectorAll("li[data-help]").forEach(function (li) {
        if (!open[li.dataset.help]) { li.remove(); }
      });
      $("#help-none").hidden = !!$("#help-list li");
    }
    tick();
  }
  function reload() {
    fetch("/supervisor/board.json", {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { everything(state); } });
  }

  root.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) { return; }
    if (b.dataset.eavesdrop) {
      var data = {mode: b.dataset.eavesdrop};
      if (b.dataset.helpId) { data.help = b.dataset.helpId; } else { data.agent = b.dataset.agentName; }
      sf.post("/supervisor/eavesdrop", data).then(function (r) { say(r.message); },
                                                   function (err) { say(err.message, true); });
    } else if (b.dataset.handled) {
      sf.post("/help/" + encodeURIComponent(b.dataset.handled) + "/handled", {})
        .then(function () { helpHandled({id: b.dataset.handled}); }, function (err) { say(err.message, true); });
    }
  });

  sf.live("/supervisor/events", {
    agent: agent, "agent-gone": agentGone, queue: queue, ivr: ivr, kpis: kpis,
    snapshot: everything, help: helpRaised, "help-handled": helpHandled,
    eavesdrop: function (d) {
      say((d.ok ? "Connected: " : "Could not connect: ") + d.mode + " on " + d.agent + "'s call" +
          (d.ok ? "" : " (" + d.detail + ")"), !d.ok);
    },
    $state: function (s) {
      $("#live-state").textContent = s === "open" ? "live" : "reconnecting…";
      if (s === "open") { reload(); }
    }
  });
  tick();
  setInterval(tick, 1000);
})();
