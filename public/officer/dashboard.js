/* Officers' dashboard: draws the funnel charts from the JSON the server embedded (Chart.js,
 * served by the app itself). No other script runs on these pages. */
(function () {
  'use strict';
  var el = document.getElementById('chart-data');
  if (!el || typeof window.Chart === 'undefined') return;
  var data = JSON.parse(el.textContent || '{}');
  var palette = ['#06c755', '#0a66c2', '#7fb3ff', '#ff8a00', '#ffc46b', '#8e44ad'];
  function colour(sets, fill) {
    return sets.map(function (d, i) {
      var c = palette[i % palette.length];
      return Object.assign({}, d, { backgroundColor: c, borderColor: c, fill: fill, tension: 0 });
    });
  }
  var common = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } };
  var district = document.getElementById('chart-district');
  if (district && data.byDistrict) {
    new window.Chart(district, { type: 'bar', data: { labels: data.byDistrict.labels, datasets: colour(data.byDistrict.datasets, true) }, options: common });
  }
  var time = document.getElementById('chart-time');
  if (time && data.overTime) {
    new window.Chart(time, { type: 'line', data: { labels: data.overTime.labels, datasets: colour(data.overTime.datasets, false) }, options: common });
  }
})();
