// The Orders SPA: what an Angular or React front end does, without a build step.
//
// An API client (think Angular's HttpClient with an auth interceptor) adds a bearer token and
// an X-Correlation-Id to every call to the gateway; each call's outcome is shown as the browser
// decided it. Everything shown comes from the browser's fetch(): a call "blocked by the
// browser" is one where fetch() rejected (JavaScript only learns "TypeError: Failed to fetch").
// All text is inserted with textContent, never innerHTML. lessons.js adds the lessons below the
// table (a call straight to a service, the preflight cache) with the helpers exported on `demo`.
"use strict";

(function () {
  const config = window.DEMO_CONFIG;
  const params = new URLSearchParams(window.location.search);
  const embedded = params.get("embedded") === "1";
  const pageOrigin = window.location.origin;
  const blockedOrigin = new URL(config.pages.blocked).origin;
  const state = { token: null, lastOrderId: null };

  // -- explaining the gateway's policy (explanation only: the browser decides) ---------------

  function patternMatches(pattern, origin) {
    const m = /^(https?):\/\/([^/:]+)(?::(\d+|\*))?$/.exec(pattern);
    const o = /^(https?):\/\/([^/:]+)(?::(\d+))?$/.exec(origin);
    if (!m || !o || m[1] !== o[1]) return false;
    const portOk = m[3] === "*" || (m[3] || "") === (o[3] || "");
    const host = m[2];
    const hostOk = host.startsWith("*.")
      ? o[2].endsWith(host.slice(1)) && o[2].length > host.length - 1
      : host === o[2];
    return portOk && hostOk;
  }

  function matchingPattern(origin) {
    return config.allowOrigins.find((p) => patternMatches(p, origin)) || null;
  }

  function whyBlocked() {
    if (!config.cors) {
      return "The gateway runs without a CORS policy: no Access-Control-Allow-Origin on any " +
        "answer, so the browser fails the preflight and hides every response.";
    }
    if (!matchingPattern(pageOrigin)) {
      return `This page's origin ${pageOrigin} is not in the gateway's ${config.environment} ` +
        `allow_origins (${config.allowOrigins.join(", ")}): the gateway refused the preflight ` +
        "(403, no Access-Control-Allow-Origin), so the browser never sent the call.";
    }
    return "The browser refused the gateway's answer; the DevTools console says why.";
  }

  // -- the API client -----------------------------------------------------------------------

  let sequence = 0;
  function newCorrelationId() {
    sequence += 1;
    return `spa-${Date.now().toString(36)}-${sequence}`;
  }

  // options.base: another server than the gateway (the direct-call lesson's mistake).
  async function request(method, path, options = {}) {
    const base = options.base || config.gateway;
    const credentials = options.credentials || "omit";
    const headers = { "X-Correlation-Id": newCorrelationId() };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    // No cache: "no-store" here: Chromium would then bypass its preflight cache as well.
    const init = { method, headers, credentials, mode: "cors" };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const result = {
      method,
      path,
      url: base + path,
      credentials,
      sentHeaders: Object.keys(headers),
      sentCorrelationId: headers["X-Correlation-Id"],
    };
    let response;
    try {
      response = await fetch(base + path, init);
    } catch (error) {
      return { ...result, blocked: true, error: String(error), why: whyBlocked() };
    }
    const text = await response.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch (_) {
      // not JSON: keep the text
    }
    return {
      ...result,
      blocked: false,
      status: response.status,
      statusText: response.statusText,
      body,
      // Exposed by the gateway's policy: readable.
      correlationId: response.headers.get("X-Correlation-Id"),
      // Sent by the service but not exposed: the browser hides it (null).
      servedBy: response.headers.get("X-Served-By"),
    };
  }

  // -- the calls the app makes ----------------------------------------------------------------

  const calls = [
    {
      name: "signIn",
      title: "Sign in",
      request: "POST /users/login · JSON body · credentials: include",
      note: "Returns a JWT and sets a SameSite=Lax session cookie.",
      run: async () => {
        const r = await request("POST", "/users/login", {
          body: { name: "ada" },
          credentials: "include",
        });
        if (!r.blocked && r.status === 200) state.token = r.body.token;
        return r;
      },
    },
    {
      name: "listOrders",
      title: "List orders",
      request: "GET /orders · Authorization: Bearer …",
      note: "Authorization makes the browser send a preflight first.",
      run: () => request("GET", "/orders"),
    },
    {
      name: "createOrder",
      title: "Create an order",
      request: "POST /orders · Authorization · JSON body",
      note: "Content-Type: application/json needs a preflight too.",
      run: async () => {
        const r = await request("POST", "/orders", { body: { item: "coffee beans", quantity: 2 } });
        if (!r.blocked && r.status === 201) state.lastOrderId = r.body.id;
        return r;
      },
    },
    {
      name: "updateOrder",
      title: "Update it",
      request: "PUT /orders/{id} · Authorization · JSON body",
      note: "PUT is not a simple method: preflighted.",
      run: () => request("PUT", `/orders/${state.lastOrderId || 1}`, {
        body: { item: "coffee beans", quantity: 3 },
      }),
    },
    {
      name: "deleteOrder",
      title: "Delete it",
      request: "DELETE /orders/{id} · Authorization",
      note: "DELETE is preflighted as well.",
      run: () => request("DELETE", `/orders/${state.lastOrderId || 1}`),
    },
    {
      name: "whoAmI",
      title: "Who am I (cookie)",
      request: "GET /users/me · credentials: include",
      note: "The session cookie travels only with credentials and only from the same site.",
      run: () => request("GET", "/users/me", { credentials: "include" }),
    },
    {
      name: "legacyReport",
      title: "Legacy endpoint",
      request: "GET /orders/legacy-report · credentials: include",
      note: "The service still sets Access-Control-Allow-Origin: * itself; the gateway " +
        "replaces it, so the browser sees one exact value.",
      run: () => request("GET", "/orders/legacy-report", { credentials: "include" }),
    },
    {
      name: "missingOrder",
      title: "A 404 from a service",
      request: "GET /orders/999999",
      note: "Error responses carry the CORS headers too, so the app can read them.",
      run: () => request("GET", "/orders/999999"),
    },
    {
      name: "serverError",
      title: "A 500 from a service",
      request: "GET /orders/boom",
      note: "A bug in the service: readable as a 500, not a CORS error.",
      run: () => request("GET", "/orders/boom"),
    },
  ];
  const byName = new Map(calls.map((c) => [c.name, c]));

  // -- rendering ------------------------------------------------------------------------------

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function short(value, limit = 160) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > limit ? `${text.slice(0, limit)}…` : text;
  }

  function verdictCell(result) {
    if (result.blocked) return el("td", "✘ blocked by the browser (CORS)", "bad");
    return el("td", "✔ allowed: response readable", "good");
  }

  function readableCell(result) {
    const td = el("td");
    if (result.blocked) {
      td.append(el("div", `JavaScript got: ${result.error}`, "mono"));
      td.append(el("div", `Why: ${result.why}`, "why"));
      return td;
    }
    td.append(el("div", `body: ${short(result.body)}`, "mono"));
    td.append(el("div", `X-Correlation-Id: ${result.correlationId} (exposed)`, "mono"));
    td.append(el("div", `X-Served-By: ${result.servedBy} (not exposed: hidden from JS)`, "mono dim"));
    return td;
  }

  function renderRow(call, result) {
    const row = document.getElementById(`row-${call.name}`);
    row.replaceChildren();
    const first = el("td");
    const button = el("button", call.title);
    button.type = "button";
    button.addEventListener("click", () => run(call.name));
    first.append(button);
    const second = el("td");
    second.append(el("div", call.request, "mono"));
    second.append(el("div", call.note, "dim"));
    row.append(first, second);
    if (!result) {
      row.append(el("td", "not run yet", "dim"), el("td", ""), el("td", ""));
      return;
    }
    const status = result.blocked ? "—" : `${result.status} ${result.statusText}`;
    const statusClass = result.blocked ? "dim" : (result.status >= 400 ? "warn" : "good");
    row.append(verdictCell(result), el("td", status, statusClass), readableCell(result));
  }

  function renderSummary() {
    const done = calls.filter((c) => demo.results[c.name]);
    const allowed = done.filter((c) => !demo.results[c.name].blocked).length;
    document.getElementById("summary").textContent = done.length
      ? `${allowed} of ${done.length} calls allowed by the browser`
      : "";
  }

  // -- running --------------------------------------------------------------------------------

  async function run(name) {
    const call = byName.get(name);
    if (!call) throw new Error(`unknown call ${name}`);
    const result = { name, ...(await call.run()) };
    demo.results[name] = result;
    if (!embedded) {
      renderRow(call, result);
      renderSummary();
    }
    return result;
  }

  async function runAll() {
    const results = [];
    for (const call of calls) results.push(await run(call.name));
    if (!embedded) await refreshStats();
    return results;
  }

  // -- what the servers saw -------------------------------------------------------------------

  async function refreshStats() {
    const box = document.getElementById("stats");
    const list = document.getElementById("decisions");
    let stats;
    try {
      const response = await fetch(`${config.gateway}/_edge/stats`, { cache: "no-store" });
      stats = await response.json();
    } catch (error) {
      box.textContent = `Cannot read the gateway's statistics from this origin (${error}): ` +
        "the same CORS rules apply to them.";
      box.className = "stats bad";
      return null;
    }
    box.replaceChildren();
    box.className = "stats";
    const edge = stats.edge;
    box.append(el("div", edge
      ? `Gateway (CORS edge): answered ${edge.preflights_answered} preflights itself ` +
        `(${edge.preflights_refused} refused).`
      : "Gateway: running without a CORS policy; preflights go to the services."));
    for (const [name, s] of Object.entries(stats.services)) {
      const total = Object.values(s.requests || {}).reduce((a, b) => a + b, 0);
      const line = el("div", `${name} service: ${total} requests, ` +
        `${s.options_requests} OPTIONS (preflights) received.`);
      line.className = s.options_requests === 0 ? "good" : "warn";
      box.append(line);
    }
    list.replaceChildren();
    const decisions = (edge ? edge.recent_decisions : [])
      .filter((d) => !d.path.startsWith("/_edge/"))
      .slice(-12)
      .reverse();
    for (const d of decisions) {
      const mark = d.allowed ? "✔" : "✘";
      list.append(el("li",
        `${mark} ${d.kind} ${d.method} ${d.path} from ${d.origin}: ${d.why}`,
        d.allowed ? "good" : "bad"));
    }
    if (!decisions.length) list.append(el("li", "none yet", "dim"));
    demo.lastStats = stats;
    for (const listener of demo.statsListeners) listener(stats);
    return stats;
  }

  // -- the disallowed origin, in a frame --------------------------------------------------------

  let resolveDisallowed;
  const disallowed = new Promise((resolve) => { resolveDisallowed = resolve; });

  function renderDisallowed(results) {
    demo.disallowedResults = results;
    const body = document.querySelector("#disallowed tbody");
    body.replaceChildren();
    for (const r of results) {
      const row = el("tr");
      row.append(
        el("td", byName.get(r.name).title),
        el("td", `${r.method} ${r.path} from ${blockedOrigin}`, "mono"),
        r.blocked ? el("td", "✘ blocked by the browser (CORS)", "bad")
          : el("td", `✔ allowed (${r.status}): unexpected!`, "warn"),
        el("td", r.blocked ? r.why : "the policy should not list this origin", "why"),
      );
      body.append(row);
    }
  }

  // The gateway's own record of why it refused the frame's preflights.
  function showGatewayVerdicts(stats) {
    if (!stats || !stats.edge) return;
    const refused = stats.edge.recent_decisions.filter(
      (d) => d.origin === blockedOrigin && !d.allowed);
    const rows = document.querySelectorAll("#disallowed tbody tr");
    rows.forEach((row, index) => {
      const r = (demo.disallowedResults || [])[index];
      const d = r && refused.find((x) => x.method === r.method && x.path === r.path);
      if (d) {
        row.lastChild.append(el("div", `Gateway log: ${d.kind} refused: ${d.why}.`, "mono"));
      }
    });
  }

  function startDisallowedFrame() {
    window.addEventListener("message", (event) => {
      if (event.origin !== blockedOrigin || !event.data || event.data.type !== "edgecors-demo") {
        return;
      }
      renderDisallowed(event.data.results);
      resolveDisallowed(event.data.results);
      refreshStats().then((stats) => showGatewayVerdicts(stats));
    });
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.title = "the SPA on a disallowed origin";
    frame.src = `${config.pages.blocked}?embedded=1&parent=${encodeURIComponent(pageOrigin)}`;
    document.body.append(frame);
  }

  async function runEmbedded() {
    const parentOrigin = params.get("parent");
    const known = Object.values(config.pages).map((u) => new URL(u).origin);
    const results = [await run("listOrders"), await run("whoAmI")];
    if (known.includes(parentOrigin) && window.parent !== window) {
      window.parent.postMessage({ type: "edgecors-demo", results }, parentOrigin);
    }
  }

  // -- start ----------------------------------------------------------------------------------

  function setUp() {
    document.getElementById("page-origin").textContent = pageOrigin;
    document.getElementById("gateway-url").textContent = config.gateway;
    document.getElementById("environment").textContent = config.cors
      ? `${config.environment}` : "(no policy: CORS switched off)";
    document.getElementById("blocked-origin").textContent = blockedOrigin;
    for (const [key, url] of Object.entries(config.pages)) {
      const link = document.getElementById(`link-${key}`);
      link.href = url;
      link.textContent = url;
      if (new URL(url).origin === pageOrigin) link.after(el("strong", " (you are here)"));
    }
    const banner = document.getElementById("origin-banner");
    const pattern = config.cors ? matchingPattern(pageOrigin) : null;
    if (!config.cors) {
      banner.textContent = "The gateway runs WITHOUT a CORS policy: expect every call to fail.";
      banner.className = "banner bad";
    } else if (pattern) {
      banner.textContent = `This origin is allowed by the gateway's ${config.environment} ` +
        `policy (it matches ${pattern}).`;
      banner.className = "banner good";
    } else {
      banner.textContent = `This origin is NOT in the gateway's ${config.environment} policy ` +
        `(${config.allowOrigins.join(", ")}): the browser will block every call. On purpose.`;
      banner.className = "banner bad";
    }
    const tbody = document.querySelector("#calls tbody");
    for (const call of calls) {
      const row = el("tr");
      row.id = `row-${call.name}`;
      tbody.append(row);
      renderRow(call, null);
    }
    document.getElementById("run-all").addEventListener("click", () => runAll());
    document.getElementById("refresh-stats").addEventListener("click", () => refreshStats());
    if (pageOrigin === blockedOrigin) {
      document.getElementById("disallowed-section").hidden = true;
      resolveDisallowed([]);
    } else {
      startDisallowedFrame();
    }
  }

  const demo = {
    calls: calls.map((c) => c.name),
    results: {},
    state,
    run,
    runAll,
    refreshStats,
    disallowed,
    embedded,
    // for lessons.js
    pageOrigin,
    request,
    el,
    lastStats: null,
    statsListeners: [],
  };
  window.demo = demo;

  if (embedded) {
    runEmbedded();
  } else {
    setUp();
    // A person opening the page sees every call's result at once; tests pass ?manual=1.
    if (params.get("manual") !== "1") runAll();
  }
  document.documentElement.dataset.ready = "true";
})();
