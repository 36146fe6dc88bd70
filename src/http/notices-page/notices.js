// The tracking page. Runs in the browser: every call goes to this origin's /v1 API with the key the
// user pasted (kept in sessionStorage, so it goes when the tab closes). Everything the API returns is
// written with textContent, never as HTML.
const $ = (id) => document.getElementById(id);
const KEY = "evidence-anchor.api-key";
const utc = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "—");

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.error?.message ?? `the service answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

/** A call to this service's API with the key; a problem answer becomes an ApiError. */
async function api(path, { method = "GET", body } = {}) {
  // The key goes to this origin's API and nowhere else (the CSP's connect-src 'self' says the same).
  if (!path.startsWith("/v1/")) throw new Error(`not an API path: ${path}`);
  const headers = { authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    const problem = await response.json().catch(() => undefined);
    if (response.status === 401) signOut("This API key was not accepted: it is unknown or has been revoked.");
    throw new ApiError(response.status, problem);
  }
  return response;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function button(text, onClick, label) {
  const node = el("button", text, "link");
  node.type = "button";
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

function show(id, message) {
  $(id).textContent = message;
  $(id).hidden = !message;
}

// --- the key ---

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  show("key-error", "");
  try {
    const account = await (await api("/v1/account")).json();
    $("account").textContent = `Signed in as ${account.name} (${account.role}, account ${account.id}).`;
    $("signed-in").hidden = false;
    $("forget-key").hidden = false;
    $("api-key").value = "";
    await loadList();
  } catch (error) {
    if (error.status !== 401) signOut(`The key could not be checked: ${error.message}`);
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  $("signed-in").hidden = true;
  $("forget-key").hidden = true;
  $("case").hidden = true;
  $("account").textContent = "";
  show("key-error", message);
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return show("key-error", "Paste your API key first.");
  signIn(key);
});
$("forget-key").addEventListener("click", () => signOut(""));

// --- the list ---

let nextPage = null;

async function loadList(more = false) {
  show("list-error", "");
  try {
    const query = more && nextPage ? `?before=${encodeURIComponent(nextPage)}` : "";
    const page = await (await api(`/v1/notices${query}`)).json();
    const rows = page.notices.map((n) => {
      const row = document.createElement("tr");
      row.dataset.notice = n.id;
      const open = el("td");
      open.append(button(n.id, () => openCase(n.id), `Open notice ${n.id}`));
      row.append(
        open,
        el("td", n.status),
        el("td", n.platform),
        el("td", utc(n.filedAt)),
        el("td", utc(n.decisionDueAt)),
        el("td", n.overdue ? `overdue since ${utc(n.overdueAt)}` : "no", n.overdue ? "overdue" : undefined),
      );
      return row;
    });
    const body = $("notices").tBodies[0];
    if (more) body.append(...rows);
    else body.replaceChildren(...rows);
    nextPage = page.next;
    $("more").hidden = !nextPage;
    $("no-notices").hidden = body.rows.length > 0;
  } catch (error) {
    if (error.status !== 401) show("list-error", `The notices could not be read: ${error.message}`);
  }
}

$("refresh-list").addEventListener("click", () => loadList());
$("more").addEventListener("click", () => loadList(true));

// --- a case ---

let openId = null;

function anchorText(anchor) {
  if (!anchor) return "—";
  if (anchor.status === "anchored") return `anchored, block ${anchor.blockNumber}`;
  return anchor.status;
}

/** A receipt needs the key, which a plain link cannot send: fetched here, then saved as a file. */
async function downloadReceipt(path, evidenceId) {
  show("case-error", "");
  try {
    const blob = await (await api(path)).blob();
    const url = URL.createObjectURL(blob);
    const link = el("a");
    link.href = url;
    link.download = `${evidenceId}.receipt.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    if (error.status === 409) show("case-error", `The receipt of ${evidenceId} is not ready: the evidence is not anchored yet.`);
    else if (error.status !== 401) show("case-error", `The receipt could not be downloaded: ${error.message}`);
  }
}

function receiptCell(links, evidenceId, anchor) {
  const cell = el("td");
  if (!links) cell.textContent = "—";
  else if (anchor && anchor.status !== "anchored") cell.textContent = "once anchored";
  else cell.append(button("Download", () => downloadReceipt(links.receipt, evidenceId), `Download the receipt of ${evidenceId}`));
  return cell;
}

function renderCase(c) {
  $("case-title").textContent = `Notice ${c.id}`;
  const facts = [
    ["Status", c.status],
    ["Platform", c.platform],
    ["Right", [c.right?.type, c.right?.owner, c.right?.jurisdiction, c.right?.registrationNumber].filter(Boolean).join(", ")],
    ["Filed", utc(c.filedAt)],
    ["Decision due", utc(c.decisionDueAt)],
    ["Overdue", c.overdue ? `yes, since ${utc(c.overdueAt)}` : "no"],
    ...(c.decidedAt ? [["Decided", utc(c.decidedAt)]] : []),
    ...(c.restorationDueAt ? [["Restoration due", utc(c.restorationDueAt)]] : []),
    ...(c.closedAt ? [["Closed", utc(c.closedAt)]] : []),
    ...c.listings.map((l) => [`Listing ${l.listingId}`, `${l.url}${l.action ? ` (${l.action}${l.restored ? ", restored" : ""})` : ""}`]),
  ];
  $("case-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
  $("steps").tBodies[0].replaceChildren(
    ...c.steps.map((s) => {
      const row = document.createElement("tr");
      row.dataset.step = s.type;
      row.append(
        el("td", String(s.seq)),
        el("td", utc(s.at)),
        el("td", s.type),
        el("td", s.evidenceId ?? "—", "id"),
        el("td", anchorText(s.anchor), "anchor"),
        receiptCell(s.links, s.evidenceId, s.anchor),
      );
      return row;
    }),
  );
  $("captures").tBodies[0].replaceChildren(
    ...c.captures.map((k) => {
      const row = document.createElement("tr");
      row.dataset.capture = k.captureId;
      row.append(
        el("td", k.listingId),
        el("td", k.purpose),
        el("td", k.failureReason ? `${k.status}: ${k.failureReason}` : k.status),
        el("td", k.url, "id"),
        k.manifestId ? receiptCell(k.links, k.manifestId, null) : el("td", "—"),
      );
      return row;
    }),
  );
  $("captures").hidden = c.captures.length === 0;
  $("no-captures").hidden = c.captures.length > 0;
  const deadlines = c.deadlines.map((d) => el("li", `${d.kind}: ${utc(d.at)}`));
  $("deadlines").replaceChildren(...(deadlines.length ? deadlines : [el("li", "none pending")]));
}

async function openCase(id) {
  openId = id;
  show("case-error", "");
  try {
    renderCase(await (await api(`/v1/notices/${encodeURIComponent(id)}`)).json());
    $("case").hidden = false;
    $("case").focus();
  } catch (error) {
    if (error.status !== 401) show("case-error", `The notice could not be read: ${error.message}`);
  }
}

$("refresh-case").addEventListener("click", () => openId && openCase(openId));
$("case").tabIndex = -1;

// --- filing ---

let listingCount = 1;
$("add-listing").addEventListener("click", () => {
  listingCount++;
  const copy = document.querySelector(".listing").cloneNode(true);
  for (const input of copy.querySelectorAll("input")) {
    input.value = "";
    input.id = input.id.replace(/\d+$/, String(listingCount));
  }
  for (const label of copy.querySelectorAll("label")) label.htmlFor = label.htmlFor.replace(/\d+$/, String(listingCount));
  for (const error of copy.querySelectorAll(".field-error")) error.remove();
  for (const input of copy.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  $("listings").append(copy);
  copy.querySelector("input").focus();
});

const value = (id) => $(id).value.trim();
/** Optional fields left blank are left out; required ones are sent as typed, so the service names what is missing. */
const optional = (entries) => Object.fromEntries(entries.filter(([, v]) => v !== ""));

function noticeBody() {
  const listings = [...document.querySelectorAll(".listing")]
    .map((row) => ({
      url: row.querySelector(".listing-url").value.trim(),
      listingId: row.querySelector(".listing-id").value.trim(),
      sellerId: row.querySelector(".seller-id").value.trim(),
    }))
    .filter((l) => l.url || l.listingId || l.sellerId)
    .map((l) => optional(Object.entries(l)));
  const evidenceIds = value("evidence-ids")
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    platform: value("platform"),
    listings,
    right: {
      type: value("right-type"),
      owner: value("right-owner"),
      jurisdiction: value("right-jurisdiction"),
      ...optional([
        ["registrationNumber", value("right-registration")],
        ["work", value("right-work")],
      ]),
    },
    explanation: value("explanation"),
    notifier: {
      name: value("notifier-name"),
      email: value("notifier-email"),
      ...optional([
        ["address", value("notifier-address")],
        ["phone", value("notifier-phone")],
        ["actingFor", value("notifier-acting-for")],
      ]),
      signature: value("notifier-signature"),
    },
    statements: { goodFaith: $("good-faith").checked, accuracy: $("accuracy").checked, authorised: $("authorised").checked },
    ...(evidenceIds.length ? { evidenceIds } : {}),
    capture: $("capture").checked,
  };
}

function clearMissing() {
  for (const note of document.querySelectorAll("#notice-form .field-error")) note.remove();
  for (const input of document.querySelectorAll("#notice-form [aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

/** Each missing element, next to its field, with the provisions that ask for it. */
function markMissing(missing) {
  let first;
  for (const { element, requiredBy } of missing) {
    for (const field of document.querySelectorAll(`#notice-form [data-element="${CSS.escape(element)}"]`)) {
      const note = el("p", `Missing: ${element} — required by ${requiredBy.join(", ")}`, "field-error");
      note.id = `missing-${element.replace(/[^\w-]/g, "-")}-${field.querySelectorAll(".field-error").length}`;
      field.append(note);
      const input = field.querySelector("input, select, textarea");
      if (input && field.tagName !== "FIELDSET") {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", note.id);
        first ??= input;
      }
    }
  }
  first?.focus();
}

$("notice-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMissing();
  show("notice-error", "");
  const submit = $("file-button");
  submit.disabled = true;
  submit.textContent = "Filing…";
  try {
    const filed = await (await api("/v1/notices", { method: "POST", body: noticeBody() })).json();
    $("notice-form").reset();
    await loadList();
    renderCase(filed);
    openId = filed.id;
    $("case").hidden = false;
    $("case").focus();
  } catch (error) {
    if (error.status === 401) return;
    show("notice-error", `The notice was not filed: ${error.message}`);
    if (Array.isArray(error.problem.missing)) markMissing(error.problem.missing);
  } finally {
    submit.disabled = false;
    submit.textContent = "File the notice";
  }
});

const saved = sessionStorage.getItem(KEY);
if (saved) signIn(saved);
