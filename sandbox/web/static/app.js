// The dashboard's behaviour: plain JavaScript, no build step. It talks to /_sandbox (the page's cookie stands
// for the admin token when the server has one) and to the vendors' own paths, with the credentials it lists.
"use strict";

const DATA = JSON.parse(document.getElementById("sandbox-data").textContent);
const $ = (selector) => document.querySelector(selector);
const vendorNamed = (name) => DATA.vendors.find((v) => v.name === name);

async function control(method, path, body) {
  const headers = {Accept: "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch("/_sandbox" + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (e) { /* not JSON: shown as it came */ }
  return {status: r.status, body: parsed};
}

function show(title, answer) {
  $("#act-result").textContent = title + " → " + answer.status + "\n" + JSON.stringify(answer.body, null, 2);
  refreshClock();
}

async function refreshClock() {
  const r = await control("GET", "/clock");
  if (r.status === 200) {
    $("#clock-now").textContent = r.body.now;
    $("#clock-frozen").textContent = r.body.frozen ? "(frozen)" : "(running)";
  }
}

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label === undefined ? value : label;
  return o;
}

// ---- copy buttons ----
for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", async () => {
    const text = $(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.dataset.copied = "yes";
    } catch (e) {  // no clipboard (an insecure origin): select the text for the person to copy
      const range = document.createRange();
      range.selectNodeContents($(button.dataset.copy));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
  });
}

// ---- connect ----
function showCredential() {
  const vendor = vendorNamed($("#connect-vendor").value);
  const credential = vendor.credentials.find((c) => c.id === $("#connect-credential").value) || vendor.credentials[0];
  $("#base-url").textContent = vendor.base_url;
  $("#curl").textContent = credential ? credential.curl : "";
  $("#snippet").textContent = credential ? credential.snippet : "";
}

function showVendor() {
  const vendor = vendorNamed($("#connect-vendor").value);
  const select = $("#connect-credential");
  select.replaceChildren(...vendor.credentials.map((c) => option(c.id, `${c.world} · ${c.state} · ${c.id}`)));
  showCredential();
}
$("#connect-vendor").addEventListener("change", showVendor);
$("#connect-credential").addEventListener("change", showCredential);
showVendor();

// ---- browse ----
const browsing = {cursors: [null], page: 0, latest: 0};

function healthyCredential(vendorName, world) {
  const vendor = vendorNamed(vendorName);
  return vendor.credentials.find((c) => c.world === world && c.state === "healthy")
    || vendor.credentials.find((c) => c.world === world);
}

function listing() {
  return vendorNamed($("#browse-vendor").value).listings[$("#browse-resource").value];
}

function showResources() {
  const vendor = vendorNamed($("#browse-vendor").value);
  const current = $("#browse-resource").value;
  $("#browse-resource").replaceChildren(...Object.keys(vendor.listings).map((name) => option(name)));
  if (current in vendor.listings) $("#browse-resource").value = current;
  $("#browse-parameters").textContent = "Its parameters: " + listing().parameters.join(", ");
}

const dig = (node, path) => (path || []).reduce((n, key) => (n == null ? n : n[key]), node);

function cell(value) {
  const td = document.createElement("td");
  td.textContent = value === null ? "—" : typeof value === "object" ? JSON.stringify(value).slice(0, 60) : String(value);
  return td;
}

async function loadPage() {
  const world = $("#browse-world").value;
  const vendorName = $("#browse-vendor").value;
  const spec = listing();
  const credential = healthyCredential(vendorName, world);
  const params = new URLSearchParams($("#browse-query").value);
  for (const [k, v] of Object.entries(credential.query)) params.set(k, v);
  const cursor = browsing.cursors[browsing.page];
  if (cursor) params.set(spec.cursor, cursor);
  const asked = ++browsing.latest;
  const r = await fetch(spec.path + (params.toString() ? "?" + params : ""), {headers: credential.headers});
  const body = await r.json();
  if (asked !== browsing.latest) return;  // a later request was made meanwhile: only the newest draws
  const records = r.ok ? dig(body, spec.results) || [] : [];
  const next = r.ok ? dig(body, spec.next) : null;
  browsing.cursors[browsing.page + 1] = next;
  $("#browse-page").textContent = r.ok ? `Page ${browsing.page + 1}: ${records.length} records` : `HTTP ${r.status}`;
  $("#browse-caption").textContent = `${$("#browse-resource").value} of ${world}, as ${vendorName} renders them`;
  $("#browse-next").disabled = !next;
  $("#browse-previous").disabled = browsing.page === 0;
  const columns = records.length ? Object.keys(records[0]).filter((k) => records[0][k] === null
    || typeof records[0][k] !== "object").slice(0, 6) : [];
  const head = document.createElement("tr");
  for (const name of [...columns, "compare"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
  $("#browse-table thead").replaceChildren(head);
  $("#browse-table tbody").replaceChildren(...(r.ok ? records : [body]).map((record) => {
    const tr = document.createElement("tr");
    for (const name of columns) tr.append(cell(record[name]));
    const td = document.createElement("td");
    if (record.remote_id != null) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Compare";
      button.setAttribute("aria-label", `Compare record ${record.remote_id} across vendors`);
      button.addEventListener("click", () => compare(world, $("#browse-resource").value, record.remote_id));
      td.append(button);
    }
    tr.append(td);
    return tr;
  }));
}

async function compare(world, resource, remoteId) {
  const r = await control("GET", `/worlds/${world}/${resource}?remote_id=${encodeURIComponent(remoteId)}`);
  $("#compare").hidden = false;
  $("#compare-panes").replaceChildren(...Object.entries(r.status === 200 ? r.body : {error: r.body}).map(([vendor, rendered]) => {
    const pane = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = vendor;
    const pre = document.createElement("pre");
    pre.tabIndex = 0;
    pre.textContent = JSON.stringify(rendered, null, 2);
    pane.append(caption, pre);
    return pane;
  }));
}

function restart() {
  browsing.cursors = [null];
  browsing.page = 0;
  loadPage();
}
$("#browse-form").addEventListener("submit", (event) => { event.preventDefault(); restart(); });
$("#browse-vendor").addEventListener("change", () => { showResources(); restart(); });
$("#browse-world").addEventListener("change", restart);
$("#browse-resource").addEventListener("change", () => { showResources(); restart(); });
$("#browse-next").addEventListener("click", () => { browsing.page += 1; loadPage(); });
$("#browse-previous").addEventListener("click", () => { browsing.page = Math.max(0, browsing.page - 1); loadPage(); });
showResources();
loadPage();

// ---- watch ----
async function refreshJournal() {
  const r = await control("GET", "/requests?limit=50");
  if (r.status !== 200) return;
  $("#journal tbody").replaceChildren(...r.body.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.status = e.status;
    const sent = {query: e.query, headers: e.headers, body: e.body};
    const query = new URLSearchParams(e.query || {}).toString();
    for (const value of [e.at.slice(11, 23), e.vendor || "—", `${e.method} ${e.path}${query ? "?" + query : ""}`, e.status ?? "dropped",
      e.ms === null ? "—" : e.ms.toFixed(1), e.fault || ""]) tr.append(cell(value));
    const details = document.createElement("td");
    details.innerHTML = "<details><summary>request</summary><pre></pre></details>";
    details.querySelector("pre").textContent = JSON.stringify(sent, null, 2);
    tr.append(details);
    return tr;
  }));
  const d = await control("GET", "/webhooks/deliveries");
  if (d.status === 200) {
    $("#deliveries tbody").replaceChildren(...d.body.slice(-50).reverse().map((x) => {
      const tr = document.createElement("tr");
      for (const value of [x.event, x.vendor, x.receiver, x.status, (x.attempts || []).length]) tr.append(cell(value));
      return tr;
    }));
  }
}
setInterval(() => { if ($("#watch-live").checked) refreshJournal(); }, 1000);
refreshJournal();

// ---- act ----
function on(form, run) {
  $(form).addEventListener("submit", async (event) => { event.preventDefault(); await run(); refreshJournal(); });
}
on("#act-reset", async () => show("Reset", await control("POST", "/reset", {})));
on("#act-clock", async () => show("Clock", await control("POST", "/clock",
  {advance: $("#clock-advance").value, simulate: $("#clock-simulate").checked})));
on("#act-simulate", async () => {
  const counts = {};
  for (const change of ["created", "rescheduled", "completed", "cancelled", "deleted"]) {
    const n = parseInt($("#simulate-" + change).value, 10);
    if (n > 0) counts[change] = n;
  }
  show("Simulate", await control("POST", `/worlds/${$("#simulate-world").value}/simulate`, counts));
});
on("#act-fault", async () => show("Fault", await control("POST", "/faults", {
  vendor: $("#fault-vendor").value, status: parseInt($("#fault-status").value, 10),
  times: parseInt($("#fault-times").value, 10)})));
$("#fault-clear").addEventListener("click", async () => { show("Clear faults", await control("DELETE", "/faults")); });
$("#try-it").addEventListener("click", async () => {
  const vendor = vendorNamed($("#fault-vendor").value);
  const credential = vendor.credentials.find((c) => c.state === "healthy") || vendor.credentials[0];
  const spec = vendor.listings.interviews || Object.values(vendor.listings)[0];
  const params = new URLSearchParams(credential.query);
  const r = await fetch(spec.path + (params.toString() ? "?" + params : ""), {headers: credential.headers});
  let body = await r.text();
  try { body = JSON.parse(body); } catch (e) { /* shown as text */ }
  show(`Try it: GET ${spec.path} as ${credential.id}`, {status: r.status, body: r.ok ? "(a page of records)" : body});
  refreshJournal();
});
on("#act-state", async () => {
  const id = $("#state-credential").value;
  const answer = await control("PUT", `/credentials/${encodeURIComponent(id)}/state`, {state: $("#state-value").value});
  if (answer.status === 200) {
    for (const cellOf of document.querySelectorAll(`.state[data-credential="${CSS.escape(id)}"]`)) cellOf.textContent = answer.body.state;
  }
  show("Connection state", answer);
});

function showEvents() {
  const selected = $("#webhook-credential").selectedOptions[0];
  const vendor = vendorNamed(selected ? selected.dataset.vendor : "");
  $("#webhook-event").replaceChildren(...(vendor ? vendor.events : []).map((e) => option(e)));
}
$("#webhook-credential").addEventListener("change", showEvents);
showEvents();
on("#act-webhook", async () => {
  const selected = $("#webhook-credential").selectedOptions[0];
  show("Fire webhook", await control("POST", "/webhooks/fire",
    {vendor: selected.dataset.vendor, credential: selected.value, event: $("#webhook-event").value}));
});
