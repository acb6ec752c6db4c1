// The call screen: status buttons, live screen-pop and state, call actions.
// Text goes in with textContent; the screen-pop's HTML comes rendered (escaped) by the server.
(function () {
  "use strict";
  var base = "/agent";
  var message = document.getElementById("agent-message");
  function say(answer) { message.textContent = (answer && answer.message) || ""; }
  function fail(err) { message.textContent = "not done: " + (err && err.message || err); }
  function currentCall() {
    var el = document.querySelector("#screenpop .screenpop-call");
    return el ? el.getAttribute("data-call") : "";
  }
  function fields(form) {
    var data = {};
    new FormData(form).forEach(function (v, k) { data[k] = v; });
    return data;
  }
  function showState(s) {
    document.getElementById("agent-status").textContent = s.shown || s.status || "unknown";
    document.getElementById("agent-state").textContent = s.state || "";
  }
  function refreshPop() {
    return fetch(base + "/screenpop", {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        document.getElementById("screenpop").innerHTML = html;
        var help = document.querySelector("form[data-action=help] input[name=call_uuid]");
        var el = document.querySelector("#screenpop .screenpop-call");
        if (help) { help.value = el ? el.getAttribute("data-member") : ""; }
      });
  }
  document.querySelectorAll("button[data-status]").forEach(function (b) {
    b.addEventListener("click", function () {
      sf.post(base + "/status", {status: b.getAttribute("data-status")}).then(say, fail);
    });
  });
  function act(action, extra) {
    var data = extra || {};
    data.call = currentCall();
    return sf.post(base + "/call/" + action, data).then(say, fail);
  }
  document.querySelectorAll("button[data-call-action]").forEach(function (b) {
    b.addEventListener("click", function () { act(b.getAttribute("data-call-action")); });
  });
  document.querySelectorAll("form[data-call-action]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      act(f.getAttribute("data-call-action"), fields(f));
    });
  });
  var dial = document.getElementById("dial-form");
  if (dial) {
    dial.addEventListener("submit", function (e) {
      e.preventDefault();
      sf.post(base + "/dial", fields(dial)).then(say, fail);
    });
  }
  var offered = null;
  document.querySelectorAll("button[data-preview]").forEach(function (b) {
    b.addEventListener("click", function () {
      var step = b.getAttribute("data-preview");
      var campaign = document.getElementById("preview-campaign").value;
      sf.post(base + "/preview/" + step, {campaign: campaign, target: offered ? String(offered.id) : ""})
        .then(function (answer) {
          say(answer);
          var box = document.getElementById("preview-target");
          if (step === "next" && answer.target) {
            offered = answer.target;
            box.querySelector("[data-field=preview-name]").textContent = offered.name;
            box.querySelector("[data-field=preview-account]").textContent = offered.account;
            box.querySelector("[data-field=preview-phones]").textContent = offered.phones.join(", ");
            box.hidden = false;
          } else if (step !== "next" && answer.ok) {
            offered = null;
            box.hidden = true;
          }
        }, fail);
    });
  });
  sf.live(base + "/events", {
    screenpop: function () { refreshPop(); },
    state: function (s) { showState(s); if (!s.in_call) { refreshPop(); } }
  });
})();
