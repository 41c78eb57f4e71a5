// Starts Swagger UI on the API's documentation page. A file, not an inline script, so that the
// page keeps the app's Content-Security-Policy (script-src 'self').
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge from the online validator: nothing leaves the service
  });
});
