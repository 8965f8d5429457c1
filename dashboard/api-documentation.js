// Renders /openapi.yaml with Swagger UI on /api-documentation. A separate file because the CSP
// forbids inline script. "Try it out" sends requests from this origin, so a dashboard login's
// cookie applies; cookie-authenticated writes also need the X-CSRF-Token header (see
// GET /api/v1/csrf), which the interceptor below adds when a token is known.
/* global SwaggerUIBundle */
(function () {
  'use strict';
  let csrfToken = null;

  function loadCsrfToken() {
    return fetch('/api/v1/csrf', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => {
        csrfToken = body && typeof body.csrfToken === 'string' ? body.csrfToken : null;
      })
      .catch(() => {
        csrfToken = null;
      });
  }

  function start() {
    window.ui = SwaggerUIBundle({
      url: '/openapi.yaml',
      dom_id: '#swagger-ui',
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
      validatorUrl: null,  // never send the document to a third-party validator
      tryItOutEnabled: false,
      requestInterceptor: (req) => {
        const method = (req.method || 'GET').toUpperCase();
        if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
          req.headers['X-CSRF-Token'] = csrfToken;
        }
        return req;
      },
    });
  }

  if (typeof SwaggerUIBundle !== 'function') {
    document.getElementById('swagger-ui').textContent =
      'Swagger UI failed to load. The OpenAPI document is at /openapi.yaml.';
    return;
  }
  loadCsrfToken().finally(start);
})();
