// Lodestar dashboard: client-side filtering and sorting of the overview
// as you type. The page works without this script (the form submits the
// same parameters); this only saves the round trip and keeps the URL in
// step with the view, so a copied link shows the same rows.
"use strict";
(function () {
  var form = document.querySelector("form.filters");
  if (!form) return;
  function value(name) {
    var el = form.querySelector("[data-filter='" + name + "']");
    return el ? el.value : "";
  }
  var rank = { exhausted: 4, at_risk: 3, error: 2, no_data: 1, healthy: 0 };
  function num(row, key, missing) {
    var v = row.getAttribute("data-" + key);
    return v === "" || v === null ? missing : parseFloat(v);
  }
  function sortRows(tbody, how) {
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.forEach(function (r, i) { if (!r.hasAttribute("data-order")) r.setAttribute("data-order", i); });
    var key = {
      spec: function (r) { return num(r, "order", 0); },
      name: function (r) { return r.getAttribute("data-slo"); },
      status: function (r) { return -num(r, "rank", 0); },
      budget: function (r) { return num(r, "budget", Infinity); },
      burn: function (r) { return -num(r, "burn", -Infinity); }
    }[how] || function (r) { return num(r, "order", 0); };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      return x < y ? -1 : x > y ? 1 : num(a, "order", 0) - num(b, "order", 0);
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function apply() {
    var q = value("q").trim().toLowerCase();
    var want = { service: value("service"), owner: value("owner"), status: value("status") };
    var shown = 0, total = 0, seen = {};
    document.querySelectorAll("section.group").forEach(function (group) {
      var any = false;
      group.querySelectorAll("tbody tr[data-slo]").forEach(function (row) {
        var ok = (!q || row.getAttribute("data-search").indexOf(q) >= 0) &&
          ["service", "owner", "status"].every(function (k) {
            return !want[k] || row.getAttribute("data-" + k) === want[k];
          });
        row.hidden = !ok;
        any = any || ok;
        var name = row.getAttribute("data-slo");
        if (!seen[name]) { seen[name] = true; total++; if (ok) shown++; }
      });
      group.hidden = !any;
      sortRows(group.querySelector("tbody"), value("sort"));
    });
    var count = document.getElementById("match-count");
    if (count) count.textContent = shown + " of " + total + " SLOs match.";
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) params.delete(k); });
    var qs = params.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
})();
