// Draws the dashboard's "activities by status" chart from the JSON the page carries
// (a data block, not a script: the Content-Security-Policy allows no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("status-data");
  const canvas = document.getElementById("status-chart");
  if (!source || !canvas || !window.Chart) {
    return;
  }
  const rows = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((row) => row.label),
      datasets: [{ label: "Activities", data: rows.map((row) => row.count), backgroundColor: rows.map((row) => row.color) }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
});
