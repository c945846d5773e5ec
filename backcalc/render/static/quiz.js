// backcalc quiz: grades each answer as the student types, by `backcalc check`'s rule (docs/html.md).
// Everything compared with is precomputed into the page (backcalc/quiz.py): this script reads
// the numbers typed and compares; it computes no step.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("backcalc-quiz-data").textContent);
  var Q = data.quantities, M = data.mistakes, T = data.texts;
  var DECIMAL = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
  var RATIO = /^[-+]?[0-9]+\/[0-9]+$/;

  // answers.py: the value and the decimal place of the last digit written (null: exact)
  function parse(text) {
    text = text.trim();
    if (!text) return null;
    if (RATIO.test(text)) {
      var pq = text.split("/");
      if (Number(pq[1]) === 0) return { error: "division by zero" };
      return { value: Number(pq[0]) / Number(pq[1]), decimals: null, text: text };
    }
    var plain = text.replace(/_/g, "").replace(/\u2212/g, "-");
    var m = DECIMAL.exec(plain);
    if (!m || !/[0-9]/.test(m[1] + (m[2] || ""))) return { error: "expected a number" };
    var value = Number(plain);
    if (!isFinite(value)) return { error: "expected a finite number" };
    if (/^[+\-\u2212]?[0-9_]+$/.test(text)) return { value: value, decimals: null, text: text };
    var frac = m[2] || "", exponent = parseInt(m[3] || "0", 10);
    var zero = /^0*$/.test(m[1] + frac);
    if (zero) {
      if (m[2] === undefined && exponent >= 0) return { value: value, decimals: null, text: text };
      return { value: value, decimals: frac.length - Math.min(exponent, 0), text: text };
    }
    return { value: value, decimals: frac.length - exponent, text: text };
  }

  function tolerance(decimals) {
    return decimals === null ? 0 : 0.5 * Math.pow(10, -Math.min(decimals, 400));
  }

  function matches(answer, value, tol) {
    if (value === null || !isFinite(value)) return false;
    return Math.abs(answer - value) <= tol + 1e-9 * Math.abs(value) + 1e-15;
  }

  var ancestorsMemo = {};
  function ancestors(i) {
    if (!(i in ancestorsMemo)) {
      var out = {};
      Q[i].deps.forEach(function (d) {
        out[d] = true;
        Object.keys(ancestors(d)).forEach(function (k) { out[k] = true; });
      });
      ancestorsMemo[i] = out;
    }
    return ancestorsMemo[i];
  }

  // the wrong answers i was computed from, not through another wrong answer (check._frontier)
  function frontier(i, wrong) {
    var out = [], stack = Q[i].deps.slice(), seen = {};
    while (stack.length) {
      var k = stack.pop();
      if (seen[k]) continue;
      seen[k] = true;
      if (wrong[k]) out.push(k); else stack = stack.concat(Q[k].deps);
    }
    return out;
  }

  function changedBy(m, k) {
    return m.values[k] !== null && !matches(m.values[k], Q[k].correct, 0);
  }


  // The mistake made with the answered quantities upstream of i pinned at their right values, as
  // check tries an error of its own. Where the mistake acts (a quantity it changes from right
  // inputs) and whether an answered quantity lies between there and i decide: the step made with
  // it where nothing it changes is answered, the mistake at i alone where it acts only at i (or
  // nowhere) past the answers; a value in between is not in the page, and claims no match.
  function pinned(m, i, pins) {
    if (!Object.keys(ancestors(i)).some(function (k) { return k in pins && changedBy(m, k); })) return m.values[i];
    var acts = [], stack = [i], seen = {};
    while (stack.length) {
      var k = stack.pop();
      if (seen[k] || (k !== i && k in pins)) continue;
      seen[k] = true;
      if (m.alone[k] !== null && !matches(m.alone[k], Q[k].correct, 0)) acts.push(k);
      stack = stack.concat(Q[k].deps);
    }
    if (acts.every(function (k) { return k === i; })) return acts.length ? m.alone[i] : Q[i].correct;
    return null;
  }

  // every mistake whose numbers (valueOf) give this answer and every answer in `upstream`
  // (check._matching), each as [text, detail]
  function matching(i, a, valueOf, upstream, given) {
    var out = [];
    M.forEach(function (m) {
      var value = valueOf(m);
      if (value === null || !matches(a.value, value, a.tol) || matches(value, Q[i].correct, 0)) return;
      for (var u = 0; u < upstream.length; u++) {
        var k = upstream[u];
        if (!matches(given[k].value, m.values[k], given[k].tol)) return;
      }
      out.push((m.causes[i] || [m.id, ""]).slice());
    });
    return out;
  }

  // How far quantity k moves when its inputs move by `delta` (index -> change): the local
  // second-order expansion quiz.py precomputed; the page carries slips forward by it, never by
  // the step's own arithmetic.
  function change(k, delta) {
    var q = Q[k], total = 0;
    Object.keys(q.local).forEach(function (d) {
      var s = q.local[d];
      if (delta[d]) total += s[0] * delta[d] + s[1] * delta[d] * delta[d] / 2;
    });
    q.cross.forEach(function (c) { total += c[2] * (delta[c[0]] || 0) * (delta[c[1]] || 0); });
    return total;
  }

  // each quantity's move when the wrong answers (index -> value) are used in place of the right ones
  function carriedForward(wrongValues) {
    var memo = {};
    function moved(k) {
      if (!(k in memo)) {
        if (k in wrongValues) memo[k] = wrongValues[k] - Q[k].correct;
        else memo[k] = change(k, inputsMoved(k));
      }
      return memo[k];
    }
    function inputsMoved(k) {
      var delta = {};
      Object.keys(Q[k].local).forEach(function (d) { delta[d] = moved(Number(d)); });
      return delta;
    }
    return inputsMoved;
  }

  // the step recomputed from the student's own wrong numbers, each widening the tolerance by how far
  // its last half unit moves the result (check._carried)
  function carriedTest(wrongList, given) {
    var student = {};
    wrongList.forEach(function (k) { student[k] = given[k].value; });
    var base = carriedForward(student), slack = {};
    wrongList.forEach(function (k) { slack[k] = 0; });
    wrongList.forEach(function (a) {
      if (!(given[a].tol > 0) || !wrongList.some(function (w) { return ancestors(w)[a]; })) return;
      var nudged = Object.assign({}, student);
      nudged[a] = student[a] + given[a].tol;
      var moved = carriedForward(nudged);
      wrongList.forEach(function (k) { slack[k] += Math.abs(change(k, moved(k)) - change(k, base(k))); });
    });
    return function (i) {
      return matches(given[i].value, Q[i].correct + change(i, base(i)), given[i].tol + slack[i]);
    };
  }

  function ownCauses(i, a, causes) {
    var d = a.decimals;
    if (d !== null && d >= 0 && d <= Q[i].hand.length - 1 &&
        Q[i].hand[d].some(function (v) { return matches(a.value, v, a.tol); })) {
      causes.push([T.rounding.replace(/\{d\}/g, String(d)), ""]);
    }
    var c = Q[i].correct;
    if (!causes.length && c !== 0 && c !== null && matches(a.value, -c, a.tol)) causes.push([T.sign, ""]);
  }

  // A mistake made anew on the student's own wrong numbers upstream: the right answers pinned,
  // the wrong ones taken as they are where they are the mistake's own (other numbers would need
  // the step recomputed from them, which the page does not do).
  function newMistake(i, a, v, answered, front, wrong, given) {
    var pins = {};
    answered.forEach(function (k) { if (!wrong[k]) pins[k] = true; });
    v.causes = matching(i, a, function (m) {
      var own = answered.every(function (k) { return !wrong[k] || matches(given[k].value, m.values[k], given[k].tol); });
      return own ? pinned(m, i, pins) : null;
    }, [], given);
    var names = front.slice().sort(function (x, y) { return x - y; }).map(function (k) {
      return Q[k].key + " = " + given[k].text;
    }).join(", ");
    v.causes.forEach(function (c) { c[0] += ", applied to your own " + names; });
  }

  function grade(given) {
    var verdicts = {}, wrong = {}, order = Object.keys(given).map(Number).sort(function (x, y) { return x - y; });
    order.forEach(function (i) {
      var right = matches(given[i].value, Q[i].correct, given[i].tol);
      verdicts[i] = { verdict: right ? "right" : "wrong", upstream: null, causes: [] };
      if (!right) wrong[i] = true;
    });
    var rootOf = {}, wrongList = order.filter(function (i) { return wrong[i]; });
    var carried = carriedTest(wrongList, given);
    order.forEach(function (i) {
      if (!wrong[i]) return;
      var a = given[i], v = verdicts[i];
      var answered = order.filter(function (k) { return ancestors(i)[k]; });
      v.causes = matching(i, a, function (m) { return m.values[i]; }, answered, given);
      var front = frontier(i, wrong);
      if (front.length && (v.causes.length || carried(i))) {
        var root = front.map(function (f) { return rootOf[f]; }).reduce(function (x, y) { return Math.min(x, y); });
        rootOf[i] = root;
        v.upstream = Q[root].key;
        return;
      }
      rootOf[i] = i;
      if (!v.causes.length) v.causes = matching(i, a, function (m) { return pinned(m, i, given); }, [], given);
      if (!v.causes.length && front.length) newMistake(i, a, v, answered, front, wrong, given);
      ownCauses(i, a, v.causes);
    });
    wrongList.forEach(function (i) {  // as check writes a cause: "text (detail)"
      verdicts[i].causes = verdicts[i].causes.map(function (c) { return c[1] ? c[0] + " (" + c[1] + ")" : c[0]; });
    });
    return verdicts;
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll(".answer"));
  var summary = document.createElement("p");
  summary.id = "quiz-summary";
  summary.setAttribute("aria-live", "polite");
  document.querySelector("header").appendChild(summary);

  function update() {
    var given = {}, unreadable = {};
    rows.forEach(function (row) {
      var i = Number(row.dataset.index), p = parse(row.querySelector("input").value);
      if (p && p.error) unreadable[i] = p.error;
      else if (p) given[i] = { value: p.value, decimals: p.decimals, tol: tolerance(p.decimals), text: p.text };
    });
    var verdicts = grade(given), right = 0, answered = 0;
    rows.forEach(function (row) {
      var i = Number(row.dataset.index), v = verdicts[i], out = row.querySelector("output");
      row.dataset.verdict = v ? v.verdict : unreadable[i] ? "unreadable" : "";
      row.dataset.upstream = v && v.upstream ? v.upstream : "";
      row.dataset.causes = JSON.stringify(v ? v.causes : []);
      if (!v) { out.textContent = unreadable[i] || ""; return; }
      answered += 1;
      if (v.verdict === "right") { right += 1; out.textContent = "\u2713 right"; return; }
      var why = v.upstream ? "follows from your " + v.upstream : "";
      if (v.causes.length) why += (why ? "; " : "") + v.causes.join("; ");
      out.textContent = "\u2717 wrong" + (why ? " \u2014 " + why : "");
    });
    summary.textContent = answered ? right + " of " + answered + " answers right (" + rows.length +
      " quantities to find)" : rows.length + " quantities to find; type your answers in the boxes.";
  }

  rows.forEach(function (row) { row.querySelector("input").addEventListener("input", update); });
  update();
})();
