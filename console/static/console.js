// dagmaster console: live job graph, node panel and Gantt refresh. Plain JavaScript, no
// libraries; everything comes from the app itself (the page's CSP allows nothing else).
"use strict";

(function () {
  const job = document.getElementById("job");
  if (!job) return;
  const liveUrl = job.dataset.liveUrl;
  const ganttUrl = job.dataset.ganttUrl;
  const panelUrl = job.dataset.panelUrl;
  const panel = document.getElementById("panel");
  const INTERVAL_MS = 1000;
  const GANTT_MIN_MS = 3000;
  const FINAL = new Set(["completed", "failed", "skipped", "timed_out", "cancelled"]);
  let lastGantt = 0;
  let etag = null;
  let selected = new URLSearchParams(location.search).get("node");

  function childrenText(counts) {
    const parts = Object.entries(counts || {}).map(([status, n]) => n + " " + status);
    return parts.length ? parts.join(" · ") : "no children yet";
  }

  function apply(state) {
    let changed = false;
    for (const [id, status] of Object.entries(state.nodes)) {
      const el = job.querySelector('.node[data-node-id="' + CSS.escape(id) + '"]');
      if (el && el.dataset.status !== status) {
        el.dataset.status = status;
        const title = el.querySelector("title");
        if (title) title.textContent = title.textContent.replace(/: [a-z_]+$/, ": " + status);
        changed = true;
      }
      const form = job.querySelector('form[data-approval-for="' + CSS.escape(id) + '"]');
      if (form) {
        // The catalog may lag the orchestration; Durable Functions keeps a decision raised
        // before the node waits, so only a node that has ended loses its form.
        form.hidden = state.final || FINAL.has(status);
        const note = form.querySelector("[data-approval-status]");
        if (note && status === "waiting") note.textContent = "is waiting";
      }
    }
    for (const [id, counts] of Object.entries(state.children)) {
      const text = job.querySelector('[data-children-of="' + CSS.escape(id) + '"]');
      const value = childrenText(counts);
      if (text && text.textContent !== value) {
        text.textContent = value;
        changed = true;
      }
    }
    const badge = job.querySelector("[data-job-status]");
    if (badge.dataset.jobStatus !== state.status) {
      badge.dataset.jobStatus = state.status;
      badge.dataset.status = state.status;
      badge.textContent = state.status;
      changed = true;
    }
    const cancel = job.querySelector("[data-cancel-form]");
    if (cancel) cancel.hidden = state.final;
    return changed;
  }

  async function refreshGantt(force) {
    const now = Date.now();
    if (!force && now - lastGantt < GANTT_MIN_MS) return;
    lastGantt = now;
    const response = await fetch(ganttUrl, { credentials: "same-origin" });
    if (response.ok) job.querySelector("[data-gantt-slot]").innerHTML = await response.text();
  }

  async function refreshPanel() {
    if (!selected) return;
    const response = await fetch(panelUrl + encodeURIComponent(selected), { credentials: "same-origin" });
    if (response.ok) panel.innerHTML = await response.text();
  }

  async function poll() {
    let state = null;
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(liveUrl, { credentials: "same-origin", headers });
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        state = await response.json();
      }
    } catch (error) {
      // the next interval tries again
    }
    if (state) {
      const changed = apply(state);
      if (changed) {
        await refreshGantt(state.final);
        const failed = Object.keys(state.nodes).find((id) => state.nodes[id] === "failed");
        if (state.final && !selected && failed) select(failed);
        else await refreshPanel();
      }
      job.dataset.final = state.final ? "true" : "false";
      if (state.final) {
        job.dataset.liveDone = "true";
        return;
      }
    }
    setTimeout(poll, INTERVAL_MS);
  }

  function select(id) {
    selected = id;
    for (const el of job.querySelectorAll(".node.selected")) el.classList.remove("selected");
    const node = job.querySelector('.node[data-node-id="' + CSS.escape(id) + '"]');
    if (node) node.classList.add("selected");
    const url = new URL(location.href);
    url.searchParams.set("node", id);
    url.searchParams.delete("notice");
    history.replaceState(null, "", url);
    refreshPanel();
  }

  job.addEventListener("click", function (event) {
    const link = event.target.closest("[data-node-link]");
    if (!link) return;
    event.preventDefault();
    select(link.dataset.nodeLink);
  });

  if (selected) {
    const node = job.querySelector('.node[data-node-id="' + CSS.escape(selected) + '"]');
    if (node) node.classList.add("selected");
  }
  if (job.dataset.final !== "true") setTimeout(poll, INTERVAL_MS);
})();
