// Chart.js (npm, served by the gateway) loaded on first use, so the incident list does not pay for it.
let loading = null;

export function loadChartJs() {
  if (window.Chart) return Promise.resolve(window.Chart);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/console/vendor/chart.umd.min.js";
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error("The chart library could not be loaded from the gateway."));
    document.head.append(script);
  });
  return loading;
}

const LABEL_CHARS = 32;

/** A category label cut to LABEL_CHARS on the axis (a 256-character model name would squeeze the
 * bars away); the tooltip still shows it whole. Called by Chart.js with the scale as ``this``. */
function shortLabel(value) {
  const label = String(this.getLabelForValue(value));
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

const COLOURS = ["#1f4fd1", "#b43e00", "#256029", "#7a3e9d", "#a3161b", "#0f6f75"];

/**
 * Draw (or redraw) a chart into ``canvas``. ``series`` is [{label, data, type?, axis?}].
 * The canvas carries an aria-label; the page shows the same numbers in a table next to it.
 */
export async function drawChart(canvas, { labels, series, kind = "bar", money = false, horizontal = false }) {
  const Chart = await loadChartJs();
  // No canvas (a panel that says "no spend" instead) or one the page has already replaced.
  if (!canvas?.isConnected) return null;
  Chart.getChart(canvas)?.destroy();
  const axes = new Set(series.map((s) => s.axis ?? "y"));
  const category = { ticks: { color: "#535b66", callback: shortLabel } };
  const value = { beginAtZero: true, ticks: { color: "#535b66", precision: money ? undefined : 0 } };
  const scales = horizontal ? { y: category, x: value } : { x: category, y: value };
  // The second axis counts incidents: whole numbers only.
  if (axes.has("y2")) {
    scales.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
      ticks: { color: "#535b66", precision: 0 } };
  }
  return new Chart(canvas, {
    type: kind,
    data: {
      labels,
      datasets: series.map((s, n) => ({
        label: s.label,
        data: s.data,
        type: s.type,
        yAxisID: horizontal ? undefined : s.axis ?? "y",
        backgroundColor: COLOURS[n % COLOURS.length] + (s.type === "line" ? "" : "cc"),
        borderColor: COLOURS[n % COLOURS.length],
        borderWidth: s.type === "line" ? 2 : 0,
        spanGaps: true,
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom" } },
      scales,
    },
  });
}
