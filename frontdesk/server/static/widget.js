/* frontdesk web chat.
 *
 * Embed:  <script src="https://YOUR-FRONTDESK/widget.js" data-agent="NAME" defer></script>
 * Character mode: data-character="HANDLE" instead of data-agent talks to an AI character
 * (docs/characters.md): its name and avatar in the header, its greeting, its replies streamed.
 * Options (data-*): agent (required), lang ("en" | "de"; default: the page's language),
 * title (header text), open ("true" opens the chat on load).
 *
 * The widget lives in a shadow root so the page's styles and its own never mix. The
 * conversation id and its secret are kept in localStorage, so a reload continues it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var character = script && script.dataset.character;  // character mode
  if (!script || !(script.dataset.agent || character)) {
    console.error("frontdesk widget: add data-agent=\"NAME\" to the script tag");
    return;
  }
  var base = new URL(script.src, location.href).origin;
  var agent = script.dataset.agent || character;
  var prefix = character ? "/c/" : "/widget/";
  var langSource = (script.dataset.lang || document.documentElement.lang || navigator.language || "en");
  var lang = langSource.toLowerCase().indexOf("de") === 0 ? "de" : "en";
  var T = {
    en: {open: "Chat with us", close: "Close chat", title: "Chat", placeholder: "Type your question…",
         label: "Your message", send: "Send", sources: "Sources", asOf: "as of", view: "View product",
         inStock: "In stock", outOfStock: "Out of stock", preorder: "Pre-order", backorder: "Backorder",
         error: "Sorry, something went wrong. Please try again.", busy: "Too many messages, please wait a moment.",
         held: "A member of our team has the conversation and will reply here.",
         person: "Team", you: "You", assistant: "Assistant", hello: "Hello! How can we help?",
         thinking: "Writing…", helped: "Did this help?", yes: "Yes", no: "No", thanks: "Thank you for telling us.",
         mic: "Record a voice message", stop: "Stop recording and send", listening: "Listening…",
         voiceNote: "Voice message", noMic: "The microphone is not available. Please type your question.",
         playAnswer: "Answer, spoken", ai: "AI assistant"},
    de: {open: "Chat öffnen", close: "Chat schließen", title: "Chat", placeholder: "Ihre Frage…",
         label: "Ihre Nachricht", send: "Senden", sources: "Quellen", asOf: "Stand", view: "Zum Produkt",
         inStock: "Auf Lager", outOfStock: "Nicht auf Lager", preorder: "Vorbestellung", backorder: "Nachbestellt",
         error: "Entschuldigung, etwas ist schiefgegangen. Bitte versuchen Sie es noch einmal.",
         busy: "Zu viele Nachrichten, bitte warten Sie einen Moment.",
         held: "Eine Person aus unserem Team hat das Gespräch übernommen und antwortet hier.",
         person: "Team", you: "Sie", assistant: "Assistent", hello: "Hallo! Wie können wir helfen?",
         thinking: "Schreibt…", helped: "Hat Ihnen das geholfen?", yes: "Ja", no: "Nein",
         thanks: "Danke für Ihre Rückmeldung.",
         mic: "Sprachnachricht aufnehmen", stop: "Aufnahme beenden und senden", listening: "Hört zu…",
         voiceNote: "Sprachnachricht", noMic: "Das Mikrofon ist nicht verfügbar. Bitte schreiben Sie Ihre Frage.",
         playAnswer: "Antwort zum Anhören", ai: "KI-Assistent"}
  }[lang];
  var storeKey = "frontdesk:" + base + ":" + (character ? "character:" : "") + agent;
  var state = load();
  var lastId = 0;
  var polling = null;
  var streaming = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || null; } catch (e) { return null; }
  }
  function save(value) {
    state = value;
    try {
      if (value) { localStorage.setItem(storeKey, JSON.stringify(value)); } else { localStorage.removeItem(storeKey); }
    } catch (e) { /* private mode: the conversation lasts as long as the page */ }
  }

  // -- DOM ----------------------------------------------------------------------------------
  var host = document.createElement("div");
  host.setAttribute("data-frontdesk-widget", agent);
  var root = host.attachShadow({mode: "open"});
  root.innerHTML =
    "<style>" +
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;" +
    "padding:14px 20px;background:#1d4ed8;color:#fff;font-size:16px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:380px;max-width:calc(100vw - 40px);" +
    "height:600px;max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;color:#111;" +
    "border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}" +
    ".panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:#1d4ed8;color:#fff}" +
    "header h2{margin:0;font-size:17px;font-weight:600}" +
    "header .avatar{width:36px;height:36px;border-radius:50%;object-fit:cover;margin-right:10px;background:#fff}" +
    "header .who-is{display:flex;align-items:center}" +
    "header .ai-badge{display:inline-block;margin-top:2px;font-size:12px;opacity:.9}" +
    ".close{background:transparent;border:0;color:#fff;font-size:24px;line-height:1;cursor:pointer;padding:4px 8px}" +
    ".log{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:10px;font-size:15px;line-height:1.45}" +
    ".msg{max-width:88%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".user{align-self:flex-end;background:#1d4ed8;color:#fff;border-bottom-right-radius:4px}" +
    ".assistant,.human{align-self:flex-start;background:#f1f5f9;border-bottom-left-radius:4px}" +
    ".human{background:#ecfdf5;border:1px solid #a7f3d0}" +
    ".who{display:block;font-size:12px;color:#475569;margin-bottom:2px}" +
    ".notice{align-self:center;font-size:13px;color:#475569;text-align:center}" +
    ".feedback{align-self:flex-start;font-size:13px;color:#475569;display:flex;gap:6px;align-items:center}" +
    ".feedback button{font:inherit;border:1px solid #cbd5e1;background:#fff;border-radius:6px;padding:2px 10px;cursor:pointer}" +
    ".cards{display:flex;flex-direction:column;gap:8px;margin-top:8px}" +
    ".card{display:flex;gap:10px;background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:8px}" +
    ".card img{width:64px;height:64px;object-fit:cover;border-radius:6px;flex:none;background:#e2e8f0}" +
    ".card h3{margin:0 0 2px;font-size:14px}" +
    ".price{font-weight:600}" +
    ".avail{font-size:13px;color:#166534}.avail.out{color:#b91c1c}" +
    ".card a{font-size:13px;color:#1d4ed8}" +
    "details{margin-top:6px;font-size:13px;color:#334155}" +
    "details ul{margin:4px 0 0;padding-left:18px}" +
    "details a{color:#1d4ed8}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}" +
    "textarea{flex:1;resize:none;border:1px solid #cbd5e1;border-radius:10px;padding:9px 10px;font-size:15px;min-height:42px;max-height:120px}" +
    ".send{border:0;border-radius:10px;background:#1d4ed8;color:#fff;padding:0 16px;font-size:15px;cursor:pointer}" +
    ".send:disabled{opacity:.6;cursor:default}" +
    ".mic{border:1px solid #cbd5e1;border-radius:10px;background:#fff;color:#1d4ed8;padding:0 12px;font-size:18px;cursor:pointer}" +
    ".mic[aria-pressed=true]{background:#dc2626;border-color:#dc2626;color:#fff}" +
    ".mic:disabled{opacity:.6;cursor:default}" +
    "audio{display:block;width:100%;margin-top:6px}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}" +
    "</style>" +
    "<button class='launcher' type='button' aria-haspopup='dialog' aria-expanded='false' aria-controls='fd-panel'></button>" +
    "<section class='panel' id='fd-panel' role='dialog' aria-modal='false' aria-labelledby='fd-title' hidden lang='" + lang + "'>" +
    "<header><div class='who-is'><img class='avatar' alt='' hidden><div><h2 id='fd-title'></h2><span class='ai-badge'></span></div></div><button class='close' type='button'>&times;</button></header>" +
    "<div class='log' role='log' aria-live='polite' aria-relevant='additions text'></div>" +
    "<form><label class='sr' for='fd-input'></label>" +
    "<textarea id='fd-input' rows='1' maxlength='2000'></textarea>" +
    "<button class='mic' type='button' aria-pressed='false' hidden>&#127908;</button>" +
    "<button class='send' type='submit'></button></form></section>";
  var launcher = root.querySelector(".launcher");
  var panel = root.querySelector(".panel");
  var closeButton = root.querySelector(".close");
  var log = root.querySelector(".log");
  var form = root.querySelector("form");
  var input = root.querySelector("textarea");
  var sendButton = root.querySelector(".send");
  var micButton = root.querySelector(".mic");
  launcher.textContent = T.open;
  closeButton.setAttribute("aria-label", T.close);
  root.querySelector("#fd-title").textContent = script.dataset.title || T.title;
  root.querySelector(".ai-badge").textContent = T.ai;  // AI disclosure (EU AI Act, Article 50): always visible
  root.querySelector("label").textContent = T.label;
  input.placeholder = T.placeholder;
  sendButton.textContent = T.send;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function safeUrl(url) {
    try { var u = new URL(url); return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null; }
    catch (e) { return null; }
  }

  function bubble(role) {
    var node = el("div", "msg " + role);
    var who = role === "user" ? T.you : role === "human" ? T.person : (persona.name || T.assistant);
    node.appendChild(el("span", role === "human" ? "who" : "who sr", who));
    var body = el("span", "body");
    node.appendChild(body);
    log.appendChild(node);
    scroll();
    return node;
  }

  function money(amount, currency) {
    var value = Number(amount);
    if (!isFinite(value)) { return amount + (currency ? " " + currency : ""); }
    try { return new Intl.NumberFormat(lang === "de" ? "de-DE" : "en-US", {style: "currency", currency: currency || "USD"}).format(value); }
    catch (e) { return amount + " " + (currency || ""); }
  }

  function availability(text) {
    var key = String(text || "").toLowerCase().replace(/[\s-]+/g, "_");
    return {in_stock: T.inStock, out_of_stock: T.outOfStock, preorder: T.preorder, backorder: T.backorder}[key] || text || "";
  }

  function decorate(node, data) {
    var products = data.products || [];
    if (products.length) {
      var cards = el("div", "cards");
      products.slice(0, 3).forEach(function (p) {
        var card = el("article", "card");
        var image = p.image_link && safeUrl(p.image_link);
        if (image) { var img = el("img"); img.alt = ""; img.loading = "lazy"; img.onerror = function () { this.remove(); }; img.src = image; card.appendChild(img); }
        var info = el("div");
        info.appendChild(el("h3", null, p.title));
        if (p.price) { info.appendChild(el("div", "price", money(p.price, p.currency))); }
        if (p.availability) {
          var out = /out/i.test(p.availability);
          info.appendChild(el("div", "avail" + (out ? " out" : ""), availability(p.availability)));
        }
        var link = p.link && safeUrl(p.link);
        if (link) { var a = el("a", null, T.view); a.href = link; a.target = "_blank"; a.rel = "noopener"; info.appendChild(a); }
        card.appendChild(info);
        cards.appendChild(card);
      });
      node.appendChild(cards);
    }
    var citations = (data.citations || []).filter(function (c) { return c.kind !== "product"; });
    if (citations.length) {
      var details = el("details");
      details.appendChild(el("summary", null, T.sources + " (" + citations.length + ")"));
      var list = el("ul");
      citations.forEach(function (c) {
        var item = el("li");
        var url = c.url && safeUrl(c.url);
        var title = c.title || c.url || "";
        if (url) { var a = el("a", null, title); a.href = url; a.target = "_blank"; a.rel = "noopener"; item.appendChild(a); }
        else { item.appendChild(document.createTextNode(title)); }
        if (c.as_of) { item.appendChild(document.createTextNode(" · " + T.asOf + " " + String(c.as_of).slice(0, 10))); }
        list.appendChild(item);
      });
      details.appendChild(list);
      node.appendChild(details);
    }
    scroll();
  }

  function show(message) {
    lastId = Math.max(lastId, message.id || 0);
    var node = bubble(message.role);
    node.querySelector(".body").textContent = message.text;
    if (message.role === "human" && message.by) { node.querySelector(".who").textContent = T.person + " · " + message.by; }
    if (message.role === "assistant") { decorate(node, message); }
  }

  function notice(text) { log.appendChild(el("div", "notice", text)); scroll(); }

  // -- talking to frontdesk -------------------------------------------------------------------
  function request(method, path, body) {
    var headers = {"Content-Type": "application/json"};
    if (state) { headers["X-Conversation-Token"] = state.token; }
    return fetch(base + prefix + encodeURIComponent(agent) + path,
                 {method: method, headers: headers, body: body ? JSON.stringify(body) : undefined});
  }

  function ensureConversation() {
    if (state) { return Promise.resolve(state); }
    return request("POST", "/conversations").then(function (r) {
      if (!r.ok) { throw r; }
      return r.json();
    }).then(function (data) { save({id: data.id, token: data.token}); return state; });
  }

  function restore() {
    if (!state) { greet(); return Promise.resolve(); }
    return request("GET", "/conversations/" + state.id).then(function (r) {
      if (r.status === 404 || r.status === 403) { save(null); greet(); return; }
      if (!r.ok) { throw r; }
      return r.json().then(function (data) {
        if (!data.messages.length) { greet(); }
        data.messages.forEach(show);
        follow(data.status);
      });
    }).catch(function () { /* offline: the visitor can still type */ });
  }

  function greet() {
    if (character && !persona.greeting) { return; }
    if (!log.querySelector(".hello")) { var n = bubble("assistant"); n.classList.add("hello"); n.querySelector(".body").textContent = persona.greeting || T.hello; }
  }

  // character mode: the character's name, avatar and greeting come from its config
  var persona = {};
  function introduce() {
    if (!character) { return Promise.resolve(); }
    return fetch(base + prefix + encodeURIComponent(agent) + "/config").then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) {
        persona = {name: data.title, greeting: data.greeting};
        if (data.title && !script.dataset.title) { root.querySelector("#fd-title").textContent = data.title; }
        if (data.avatar) { var img = root.querySelector(".avatar"); img.src = base + data.avatar; img.hidden = false; }
      }).catch(function () {});
  }

  function follow(status) {
    // A person may write while the conversation waits for or is owned by the team: look for it.
    if ((status === "human" || status === "waiting") && !polling) {
      polling = setInterval(poll, 3000);
    } else if (status === "bot" && polling) {
      clearInterval(polling);
      polling = null;
    }
  }

  function poll() {
    if (!state || streaming) { return; }
    request("GET", "/conversations/" + state.id + "?after=" + lastId).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      data.messages.forEach(function (m) { if (m.role !== "user") { show(m); } else { lastId = Math.max(lastId, m.id); } });
      follow(data.status);
    }).catch(function () {});
  }

  // "Did this help?" after a grounded answer: the owner's confirmed resolutions
  function askFeedback() {
    var old = log.querySelector(".feedback");
    if (old) { old.remove(); }
    var row = el("div", "feedback");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", T.helped);
    row.appendChild(el("span", "", T.helped));
    [[true, T.yes], [false, T.no]].forEach(function (choice) {
      var b = el("button", "", choice[1]);
      b.type = "button";
      b.addEventListener("click", function () {
        request("POST", "/conversations/" + state.id + "/feedback", {helpful: choice[0]}).catch(function () {});
        row.textContent = T.thanks;
      });
      row.appendChild(b);
    });
    log.appendChild(row);
    scroll();
  }

  // a server-sent event stream (a typed or a spoken turn's answer): onEvent(name, payload) for each event
  function events(r, onEvent) {
    var reader = r.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function handle(block) {
      var event = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) { event = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
      });
      if (data) { onEvent(event, JSON.parse(data)); }
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { if (buffer.trim()) { handle(buffer); } return; }
        buffer += decoder.decode(chunk.value, {stream: true});
        var parts = buffer.split("\n\n");
        buffer = parts.pop();
        parts.forEach(handle);
        return pump();
      });
    }
    return pump();
  }

  function send(text) {
    streaming = true;
    sendButton.disabled = true;
    var mine = bubble("user");
    mine.querySelector(".body").textContent = text;
    var answer = bubble("assistant");
    var body = answer.querySelector(".body");
    body.textContent = T.thinking;
    answer.setAttribute("aria-busy", "true");
    var received = "";
    return ensureConversation().then(function () {
      return request("POST", "/conversations/" + state.id + "/messages", {text: text});
    }).then(function (r) {
      if (r.status === 404) { save(null); throw r; }
      if (!r.ok) { throw r; }
      return events(r, function (event, payload) {
        if (event === "delta") { received += payload.text; body.textContent = received; scroll(); }
        else if (event === "done") { body.textContent = payload.answer; decorate(answer, payload); if (payload.handoff) { follow("waiting"); } else if (payload.grounded && !character) { askFeedback(); } }
        else if (event === "held") { answer.remove(); notice(T.held); follow("human"); }
        else if (event === "error") { body.textContent = T.error; }
      });
    }).catch(function (problem) {
      body.textContent = (problem && problem.status === 429) ? T.busy : T.error;
    }).then(function () {
      answer.removeAttribute("aria-busy");
      streaming = false;
      sendButton.disabled = false;
      // new messages' ids: fetch quietly so polling continues after them
      if (state) {
        request("GET", "/conversations/" + state.id + "?after=" + lastId).then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { if (data) { data.messages.forEach(function (m) { lastId = Math.max(lastId, m.id); }); } })
          .catch(function () {});
      }
    });
  }

  // -- voice: the microphone (MediaRecorder) and spoken answers ---------------------------------
  var recorder = null;
  var canRecord = !character && window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (canRecord) { micButton.hidden = false; micButton.setAttribute("aria-label", T.mic); micButton.title = T.mic; }

  function sendRecording(blob) {
    streaming = true;
    sendButton.disabled = true;
    micButton.disabled = true;
    var mine = bubble("user");
    var said = mine.querySelector(".body");
    said.textContent = T.voiceNote + " · " + T.listening;
    var answer = bubble("assistant");
    var body = answer.querySelector(".body");
    body.textContent = T.thinking;
    answer.setAttribute("aria-busy", "true");
    var received = "", prefix = "";
    return ensureConversation().then(function () {
      var data = new FormData();
      data.append("file", blob, "recording." + ((blob.type || "").indexOf("mp4") >= 0 ? "m4a" : "webm"));
      return fetch(base + prefix_path() + "/conversations/" + state.id + "/recordings",
                   {method: "POST", headers: {"X-Conversation-Token": state.token}, body: data});
    }).then(function (r) {
      if (r.status === 404) { save(null); throw r; }
      if (!r.ok) { throw r; }
      return events(r, function (event, payload) {
        if (event === "heard") {
          said.textContent = payload.understood ? payload.text : T.voiceNote;
          prefix = payload.prefix ? payload.prefix + "\n\n" : "";
        }
        else if (event === "delta") { received += payload.text; body.textContent = prefix + received; scroll(); }
        else if (event === "done") { body.textContent = prefix + payload.answer; decorate(answer, payload); if (payload.handoff) { follow("waiting"); } else if (payload.grounded) { askFeedback(); } }
        else if (event === "speech") {
          var player = document.createElement("audio");
          player.controls = true;
          player.preload = "auto";
          player.src = payload.audio;
          player.setAttribute("aria-label", T.playAnswer);
          answer.appendChild(player);
          scroll();
        }
        else if (event === "held") { answer.remove(); notice(T.held); follow("human"); }
        else if (event === "error") { body.textContent = T.error; }
      });
    }).catch(function (problem) {
      body.textContent = (problem && problem.status === 429) ? T.busy : T.error;
    }).then(function () {
      answer.removeAttribute("aria-busy");
      streaming = false;
      sendButton.disabled = false;
      micButton.disabled = false;
    });
  }

  function prefix_path() { return "/widget/" + encodeURIComponent(agent); }

  function stopRecording() {
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
  }

  micButton.addEventListener("click", function () {
    if (recorder) { stopRecording(); return; }
    if (streaming) { return; }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      var chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) { chunks.push(e.data); } });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var type = recorder.mimeType || "audio/webm";
        recorder = null;
        micButton.setAttribute("aria-pressed", "false");
        micButton.setAttribute("aria-label", T.mic);
        micButton.title = T.mic;
        if (chunks.length) { sendRecording(new Blob(chunks, {type: type})); }
      });
      recorder.start();
      micButton.setAttribute("aria-pressed", "true");
      micButton.setAttribute("aria-label", T.stop);
      micButton.title = T.stop;
      setTimeout(stopRecording, 120000);  // two minutes at most
    }).catch(function () { notice(T.noMic); });
  });

  // -- behaviour ----------------------------------------------------------------------------
  var restored = null;
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (!restored) { restored = introduce().then(restore); }
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || streaming) { return; }
    input.value = "";
    send(text);
  });

  function mount() {
    document.body.appendChild(host);
    if (script.dataset.open === "true") { open(); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
