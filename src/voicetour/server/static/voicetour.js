// voicetour embed: the voice tour on the product's own pages.
//
//   <script src="https://VOICETOUR-SERVER/voicetour/static/voicetour.js" data-site="Acme Cloud" async></script>
//
// A small bar (in a shadow root, so the product's CSS cannot touch it) with a microphone button,
// captions, the spoken reply and a text box. It talks to the voicetour server it was loaded from
// (docs/protocol.md). On a navigation it clicks the product's own link to that page when there
// is one (a single-page app's router handles it, no reload), else it loads the page. Across full
// page loads the conversation goes on: the session resumes (a token in sessionStorage) and the
// microphone is reopened if it was on. Likely next pages are prerendered with the Speculation
// Rules API where the browser has it, prefetched otherwise. Server text is set with textContent.
(() => {
  "use strict";
  if (window.voicetourEmbed) return;
  const script = document.currentScript || document.querySelector('script[src*="voicetour.js"]');
  const server = new URL("..", new URL(script.src, location.href)).href;  // "https://host/voicetour/"
  const wanted = script.dataset.site || "";
  const store = window.sessionStorage;
  const log = [];
  window.voicetourEmbed = { log };

  // ---- the bar ----
  const host = document.createElement("div");
  host.id = "voicetour-embed";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<style>:host{all:initial}.bar{position:fixed;right:16px;bottom:16px;z-index:2147483647;display:flex;' +
    "flex-direction:column;gap:6px;max-width:360px;padding:10px 12px;border-radius:12px;background:#0f1525;" +
    "color:#e8ecf6;font:14px/1.4 system-ui,sans-serif;box-shadow:0 6px 24px rgba(0,0,0,.3)}.row{display:flex;" +
    "gap:8px;align-items:center}button{font:inherit;padding:4px 10px;border:0;border-radius:6px;background:#4c6ef5;" +
    "color:#fff;cursor:pointer}.state{font-size:11px;text-transform:uppercase;padding:2px 8px;border-radius:99px;" +
    "background:#39425c}.partial{color:#98a2bf;font-style:italic}.reply{color:#c5f6fa}input{font:inherit;flex:1;" +
    "min-width:0;padding:3px 6px;border-radius:6px;border:1px solid #39425c;background:#171f35;color:#fff}</style>" +
    '<div class="bar" role="region" aria-label="Voice tour"><div class="row"><button id="mic" type="button">' +
    'Talk to the tour</button><span id="state" class="state" aria-live="polite">off</span></div>' +
    '<div><span id="final"></span> <span id="partial" class="partial"></span></div>' +
    '<div id="reply" class="reply" aria-live="polite"></div>' +
    '<form id="ask" class="row"><input id="text" aria-label="Type a request" placeholder="or type: show me billing">' +
    "</form></div>";
  const $ = (id) => root.getElementById(id);
  (document.body || document.documentElement).appendChild(host);

  let ws = null;
  let audioCtx = null;

  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  // A typed request with no conversation (the tour is busy, or the socket is down) is asked on
  // its own; text/plain keeps it a simple cross-origin request (the server allows this origin).
  let busy = false;
  function ask(text) {
    if (ws && ws.readyState === 1 && !busy) { send({ type: "text", text }); return; }
    fetch(server + "ask", { method: "POST", headers: { "Content-Type": "text/plain" },
                            body: JSON.stringify({ type: "text", text, url: here() }) })
      .then((r) => r.json())
      .then((body) => { if (body.messages) body.messages.forEach(onMessage); else $("reply").textContent = "voicetour: " + body.message; })
      .catch(() => { $("reply").textContent = "voicetour could not be reached; “" + text + "” was not sent: try again in a moment."; });
  }
  function here() { return location.pathname + location.search; }
  function sameUrl(a, b) {
    const x = new URL(a, location.href), y = new URL(b, location.href);
    return x.origin === y.origin && x.pathname === y.pathname && x.search === y.search;
  }

  // ---- acting on the page ----
  function highlight(selector) {
    let tries = 0;
    const apply = () => {
      const el = document.querySelector(selector);
      if (!el) { if (tries++ < 40) setTimeout(apply, 50); return; }  // a router may still be rendering
      document.querySelectorAll(".voicetour-highlight").forEach((e) => e.classList.remove("voicetour-highlight"));
      if (!document.getElementById("voicetour-style")) {
        const st = document.createElement("style");
        st.id = "voicetour-style";
        st.textContent = ".voicetour-highlight{outline:4px solid #f59f00!important;outline-offset:3px}";
        document.head.appendChild(st);
      }
      el.classList.add("voicetour-highlight");
      el.scrollIntoView({ block: "center" });
      store.removeItem("voicetour.highlight");
    };
    apply();
  }

  function visible(action, prerendered) {
    requestAnimationFrame(() => {
      const msg = { type: "visible", url: action.url, turn: action.turn, prerendered,
                    delay_ms: Math.round(Date.now() - action.at), t: performance.now() };
      log.push({ sent: msg });
      send(msg);
    });
  }

  function go(url, turn) {
    if (url && new URL(url, location.href).origin !== location.origin) return;  // a tour never leaves the product
    if (!url || sameUrl(url, location.href)) { if (url) visible({ url, turn, at: Date.now() }, false); return; }
    const action = { url, turn, at: Date.now() };
    store.setItem("voicetour.action", JSON.stringify(action));
    // The app's own link, if it opens in this tab (sneat's login links open a new one: the tour
    // would have stayed where it was).
    const link = [...document.querySelectorAll("a[href]")].find((a) => sameUrl(a.getAttribute("href"), url) &&
      (!a.target || a.target === "_self") && !a.hasAttribute("download"));
    if (link) link.click(); else location.assign(url);
    if (sameUrl(here(), url)) {  // the app's router changed the route: no reload
      store.removeItem("voicetour.action");
      visible(action, false);
    }  // else a full page load is under way: the next page reports it (arrived())
  }

  function prerender(urls) {
    const list = urls.filter((u) => !sameUrl(u, location.href)).map((u) => new URL(u, location.href).href);
    document.querySelectorAll("script[data-voicetour], link[data-voicetour]").forEach((e) => e.remove());
    if (!list.length) return;
    if (HTMLScriptElement.supports && HTMLScriptElement.supports("speculationrules")) {
      const rules = document.createElement("script");
      rules.type = "speculationrules";
      rules.dataset.voicetour = "";
      rules.textContent = JSON.stringify({ prerender: [{ source: "list", urls: list }] });
      document.head.appendChild(rules);
    } else {
      for (const href of list) {
        const link = document.createElement("link");
        link.rel = "prefetch";
        link.href = href;
        link.dataset.voicetour = "";
        document.head.appendChild(link);
      }
    }
  }

  // The microphone is paused while the reply plays (the agent must not hear itself; see say()
  // in tour.js).
  let speaking = false, speakingTimer = 0;
  function say(text) {
    $("reply").textContent = text;
    if (!("speechSynthesis" in window)) return;
    speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(text);
    const done = () => { if (!speaking) return; speaking = false; clearTimeout(speakingTimer); $("state").textContent = "listening"; };
    u.onstart = () => { speaking = true; $("state").textContent = "speaking"; speakingTimer = setTimeout(done, 1500 + 100 * text.length); };
    u.onend = u.onerror = done;
    speechSynthesis.speak(u);
  }

  function onMessage(msg) {
    log.push(msg);
    switch (msg.type) {
      case "ready":
        store.setItem("voicetour.resume", msg.resume);
        busy = false;
        if (wanted && msg.site !== wanted) $("reply").textContent = "voicetour serves " + msg.site + ", not " + wanted;
        $("state").textContent = audioCtx ? "listening" : "ready";
        arrived();
        break;
      case "state": if (!speaking) $("state").textContent = msg.state; break;
      case "partial": $("partial").textContent = msg.text; break;
      case "final": $("final").textContent = msg.text ? "“" + msg.text + "”" : ""; $("partial").textContent = ""; break;
      case "prerender": prerender(msg.urls); break;
      case "navigate": go(msg.url, msg.turn); break;
      case "cancel": if (msg.url) go(msg.url, msg.turn); break;
      case "back": if (msg.url) go(msg.url, msg.turn); else history.back(); break;
      case "highlight":
        store.setItem("voicetour.highlight", msg.selector);
        highlight(msg.selector);
        break;
      case "scroll": window.scrollBy({ top: (msg.direction === "up" ? -1 : 1) * innerHeight * 0.8, behavior: "smooth" }); break;
      case "stop": if ("speechSynthesis" in window) speechSynthesis.cancel(); break;
      case "say": say(msg.text); break;
      case "error":
        if (msg.code === "busy") busy = true;
        $("reply").textContent = "voicetour: " + msg.message + (msg.code === "busy" ? " Meanwhile, type your request." : "");
        break;
    }
  }

  // After a full page load that voicetour caused: report the page, finish the highlight.
  function arrived() {
    const raw = store.getItem("voicetour.action");
    if (!raw) return;
    store.removeItem("voicetour.action");
    const action = JSON.parse(raw);
    if (!sameUrl(action.url, location.href)) return;
    const nav = performance.getEntriesByType("navigation")[0];
    visible(action, !!(nav && nav.activationStart > 0));  // activationStart > 0: it was prerendered
    const selector = store.getItem("voicetour.highlight");
    if (selector) highlight(selector);
  }

  function connect() {
    const resume = store.getItem("voicetour.resume") || "";
    // The resume token goes as a subprotocol (a header), never in the URL.
    ws = new WebSocket(server.replace(/^http/, "ws") + "ws", resume ? ["voicetour", "resume." + resume] : ["voicetour"]);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => send({ type: "hello", url: here() });
    ws.onmessage = (e) => { if (typeof e.data === "string") onMessage(JSON.parse(e.data)); };
    ws.onclose = () => { $("state").textContent = busy ? "busy" : "reconnecting"; setTimeout(connect, busy ? 5000 : 1500); };
  }

  async function startMic() {
    if (audioCtx) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      audioCtx = new AudioContext();
      await audioCtx.audioWorklet.addModule(server + "static/capture-worklet.js");
      const node = new AudioWorkletNode(audioCtx, "capture-processor");
      node.port.onmessage = (e) => { if (ws && ws.readyState === 1 && !speaking) ws.send(e.data); };
      audioCtx.createMediaStreamSource(stream).connect(node);
      if (audioCtx.state === "suspended") await audioCtx.resume();
      store.setItem("voicetour.mic", "on");  // reopened on the next page
      $("mic").textContent = "Listening";
      $("mic").disabled = true;
      $("state").textContent = "listening";
    } catch (err) {
      audioCtx = null;
      $("reply").textContent = "No microphone (" + (err && err.name) + "). Type your request instead.";
    }
  }

  $("mic").addEventListener("click", startMic);
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (text) { ask(text); $("text").value = ""; }
  });
  connect();
  if (store.getItem("voicetour.mic") === "on" || script.dataset.autostart === "true") startMic();
})();
