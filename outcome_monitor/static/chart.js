// Draws each progress chart on the page: fetches its figure JSON and hands it to Plotly.
// Plotly itself is loaded (deferred, from this server) by templates/charts/_episode_chart.html.
(function () {
  "use strict";

  var NARROW = 600;
  var EXTRA_HEIGHT = 260;
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    // Client scores never leave the clinic: no "send to cloud" or Chart Studio links.
    showSendToCloud: false,
    showEditInChartStudio: false,
    showLink: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d"],
  };

  function fail(container) {
    container.textContent = container.dataset.errorText || "";
  }

  // On a phone-width screen: one legend column, more height, every other session labelled.
  function fitToWidth(container, layout) {
    if (container.clientWidth >= NARROW || !layout.legend) {
      return;
    }
    var plotHeight = layout.height - layout.margin.t - layout.margin.b;
    layout.height += EXTRA_HEIGHT;
    layout.legend.entrywidth = 1;
    layout.legend.y = (layout.legend.y * plotHeight) / (plotHeight + EXTRA_HEIGHT);
    Object.keys(layout).forEach(function (key) {
      if (key.indexOf("xaxis") === 0) {
        layout[key].dtick = 2;
      }
    });
  }

  function draw(container) {
    fetch(container.dataset.chartUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("chart " + response.status);
        }
        return response.json();
      })
      .then(function (figure) {
        container.textContent = "";
        fitToWidth(container, figure.layout);
        return window.Plotly.newPlot(container, figure.data, figure.layout, CONFIG);
      })
      .catch(function () {
        fail(container);
      });
  }

  document.querySelectorAll("[data-chart-url]").forEach(function (container) {
    if (window.Plotly) {
      draw(container);
    } else {
      fail(container);
    }
  });
})();
