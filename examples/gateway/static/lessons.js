// Two lessons below the table, built on app.js (window.demo):
//
// 1. The call every gateway guide warns about: the SPA calls the orders service at its own
//    address instead of through the gateway. The browser blocks it; beside the verdict, the
//    page says why and shows what the library's probe advises for that call. The probe runs on
//    the demo's server (GET /probe/direct-call, on this page's own origin) against the running
//    service, so its advice is the library's, not text copied into this page.
// 2. The preflight cache: the gateway's Max-Age, the preflights it counted per URL, and a button
//    that repeats a call and shows that no new preflight was sent.
//
// All text is inserted with textContent, never innerHTML.
"use strict";

(function () {
  const demo = window.demo;
  if (!demo || demo.embedded) return;
  const config = window.DEMO_CONFIG;
  const el = demo.el;
  // Chromium caps Access-Control-Max-Age at 2 hours; without the header it caches for 5 s.
  const CHROMIUM_MAX_AGE = 7200;
  const maxAge = config.maxAge === null ? 5 : Math.min(config.maxAge, CHROMIUM_MAX_AGE);

  // Replace the children of the element `id`; strings become text.
  function fill(id, ...parts) {
    document.getElementById(id).replaceChildren(...parts);
  }

  function paragraph(...parts) {
    const p = el("p");
    p.append(...parts);
    return p;
  }

  // -- 1. a call straight to a service ---------------------------------------------------------

  const direct = new URL(config.directCall.url);
  const throughGateway = config.gateway + direct.pathname;

  async function askProbe() {
    const url = `${config.directCall.probe}?origin=${encodeURIComponent(demo.pageOrigin)}`;
    try {
      const response = await fetch(url, { cache: "no-store" });
      const body = await response.json();
      return response.ok ? body : { error: body.error || `${response.status}` };
    } catch (error) {
      return { error: String(error) };
    }
  }

  function explainDirect(result) {
    if (result.blocked) {
      return [
        el("h3", "Why it fails"),
        paragraph(
          "The orders service has no CORS of its own: CORS is answered once, at the gateway. ",
          "Its answer to the browser's preflight carries no Access-Control-Allow-Origin, so the ",
          "browser never sent the GET, and JavaScript only learned ",
          el("code", result.error), "."),
        el("h3", "What to do"),
        paragraph("Call it through the gateway: ", el("code", throughGateway),
          ", as “List orders” above does. Do not add CORS to the service: two layers would " +
          "answer, the drift edgecors audit reports."),
      ];
    }
    return [
      el("h3", "Why it worked"),
      paragraph(
        "The orders service answered CORS itself (the demo runs with --drift): a second CORS ",
        "layer, behind the gateway, with a policy of its own. It echoes any origin."),
      el("h3", "What to do"),
      paragraph("Call it through the gateway: ", el("code", throughGateway),
        ", and remove the service's own CORS (edgecors audit reports it as drift)."),
    ];
  }

  function probeAdvice(probe) {
    const parts = [el("h3", "The probe's advice")];
    if (probe.error) {
      parts.push(el("p", `The probe could not run: ${probe.error}`, "bad"));
      return parts;
    }
    parts.push(
      el("p", "The demo's server ran the library's probe against the service just now " +
        "(a preflight, and a GET only if a browser would send one: nothing that changes data). " +
        "On the command line:", "dim"),
      el("pre", probe.command, "command"),
      el("p", probe.verdict, probe.allowed ? "mono good" : "mono bad"),
    );
    const list = el("ul", null, "advice");
    list.id = "direct-advice";
    for (const line of probe.advice) list.append(el("li", `advice: ${line}`));
    if (!probe.advice.length) list.append(el("li", `no advice: ${probe.why}`, "dim"));
    parts.push(list);
    return parts;
  }

  async function directCall() {
    const result = await demo.request("GET", direct.pathname, { base: direct.origin });
    const probe = await askProbe();
    fill("direct-verdict",
      result.blocked
        ? el("div", "✘ blocked by the browser (CORS)", "bad")
        : el("div", `✔ allowed (${result.status}): the service answers CORS itself`, "warn"),
      el("div", `GET ${result.url}`, "mono"),
      el("div", result.blocked ? `JavaScript got: ${result.error}`
        : `body: ${JSON.stringify(result.body)}`, "mono dim"));
    fill("direct-explain", ...explainDirect(result), ...probeAdvice(probe));
    const outcome = { ...result, probe };
    demo.lessons.directCall = outcome;
    return outcome;
  }

  // -- 2. the preflight cache ------------------------------------------------------------------

  const REPEATED = "listOrders";
  const repeatedPath = "/orders";

  function preflightsFrom(stats) {
    if (!stats || !stats.edge) return [];
    return stats.edge.preflights_by_url.filter(
      (u) => u.origin === demo.pageOrigin && !u.path.startsWith("/_edge/"));
  }

  function preflightsFor(stats, path) {
    const entry = preflightsFrom(stats).find((u) => u.path === path);
    return entry || { path, preflights: 0, refused: 0, seconds_since_last: null };
  }

  function cacheState(entry) {
    if (entry.refused === entry.preflights) return "refused: the browser caches nothing";
    const ago = Math.round(entry.seconds_since_last);
    const left = maxAge - ago;
    return left > 0
      ? `last one ${ago} s ago: cached for another ${left} s`
      : `last one ${ago} s ago: expired (Max-Age ${maxAge} s)`;
  }

  function renderPreflights(stats) {
    const body = document.querySelector("#preflights tbody");
    body.replaceChildren();
    for (const entry of preflightsFrom(stats)) {
      const row = el("tr");
      row.append(
        el("td", `${entry.path}`, "mono"),
        el("td", `${entry.preflights} preflight${entry.preflights === 1 ? "" : "s"}` +
          (entry.refused ? ` (${entry.refused} refused)` : "")),
        el("td", cacheState(entry)),
      );
      body.append(row);
    }
    if (!body.children.length) {
      const row = el("tr");
      const cell = el("td", "no preflight from this origin yet", "dim");
      cell.colSpan = 3;
      row.append(cell);
      body.append(row);
    }
  }

  async function repeatCall() {
    const before = preflightsFor(await demo.refreshStats(), repeatedPath);
    const result = await demo.run(REPEATED);
    const after = preflightsFor(await demo.refreshStats(), repeatedPath);
    const call = `GET ${repeatedPath}: ${result.status} ${result.statusText}. ` +
      `Preflights for ${repeatedPath} from this origin: ${before.preflights} before the call, ` +
      `${after.preflights} after`;
    let text;
    let className;
    if (result.blocked) {
      text = `✘ GET ${repeatedPath} was blocked by the browser: a refused preflight is not ` +
        "cached.";
      className = "bad";
    } else if (after.preflights === before.preflights) {
      text = `✔ ${call}: no new preflight. The browser reused its cached answer (the last ` +
        `preflight was ${Math.round(after.seconds_since_last)} s ago, within Max-Age ` +
        `${maxAge} s).`;
      className = "good";
    } else {
      text = `${call}: the browser sent a preflight (nothing cached for this URL yet, or the ` +
        `cached answer expired). Press again within ${maxAge} s: no new preflight.`;
      className = "warn";
    }
    fill("repeat-result", el("span", text, className));
    const outcome = { ...result, preflightsBefore: before.preflights,
      preflightsAfter: after.preflights };
    demo.lessons.repeatCall = outcome;
    return outcome;
  }

  // -- start ----------------------------------------------------------------------------------

  function setUp() {
    document.getElementById("direct-url").textContent = config.directCall.url;
    document.getElementById("direct-call").addEventListener("click", () => directCall());
    const answers = config.maxAge === null
      ? ["sets no max_age, so its answers carry no ", el("code", "Access-Control-Max-Age")]
      : ["answers with ", el("code", `Access-Control-Max-Age: ${config.maxAge}`)];
    fill("cache-explained", ...(config.cors
      ? [
        "Before a call with Authorization or a JSON body, the browser asks the gateway first ",
        "(a preflight: OPTIONS). The gateway's ", el("code", config.environment), " policy ",
        ...answers, `, so for ${maxAge} s the browser reuses that answer for the same URL and `,
        "sends the call straight away, without a new preflight (Chromium honours Max-Age up ",
        `to ${CHROMIUM_MAX_AGE} s).`,
      ]
      : ["The gateway runs without a CORS policy: no preflight is allowed, nothing is cached."]));
    document.getElementById("repeat-call").addEventListener("click", () => repeatCall());
    demo.statsListeners.push(renderPreflights);
    renderPreflights(demo.lastStats);
  }

  demo.lessons = { directCall: null, repeatCall: null };
  demo.directCall = directCall;
  demo.repeatCall = repeatCall;
  setUp();
})();
