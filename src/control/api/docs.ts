// Interactive API docs at /api/docs: swagger-ui-dist's own files served from this process
// (embedded in the compiled executable), so the page works with no internet access. The page
// has no inline script and a CSP that only allows this origin.
import { Elysia } from 'elysia';
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import presetJs from 'swagger-ui-dist/swagger-ui-standalone-preset.js' with { type: 'file' };
import uiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import indexCss from 'swagger-ui-dist/index.css' with { type: 'file' };
import favicon32 from 'swagger-ui-dist/favicon-32x32.png' with { type: 'file' };
import favicon16 from 'swagger-ui-dist/favicon-16x16.png' with { type: 'file' };
import { ApiProblem } from './problem.ts';

export const DOCS_PATH = '/api/docs';
export const OPENAPI_PATH = '/api/openapi.json';

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': bundleJs,
  'swagger-ui-standalone-preset.js': presetJs,
  'swagger-ui.css': uiCss,
  'index.css': indexCss,
  'favicon-32x32.png': favicon32,
  'favicon-16x16.png': favicon16,
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const page = (title: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="${DOCS_PATH}/index.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="${DOCS_PATH}/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="${DOCS_PATH}/swagger-initializer.js" charset="utf-8"></script>
</body>
</html>
`;

// A console session's state-changing requests need X-CSRF-Token: the initializer learns the
// token from GET /api/v1/session (or from a login made in the UI) and adds it to every request.
const initializer = `window.onload = function () {
  var csrfToken = null;
  fetch('/api/v1/session', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) { if (s && s.csrfToken) csrfToken = s.csrfToken; })
    .catch(function () {});
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_PATH)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
    requestInterceptor: function (req) {
      if (csrfToken && req.headers && !req.headers['X-CSRF-Token']) req.headers['X-CSRF-Token'] = csrfToken;
      return req;
    },
    responseInterceptor: function (res) {
      if (res && res.url && /\\/api\\/v1\\/session$/.test(res.url) && res.obj && res.obj.csrfToken) csrfToken = res.obj.csrfToken;
      return res;
    }
  });
};
`;

const hidden = { detail: { hide: true } } as const;

export const docsRoutes = (title: string) =>
  new Elysia()
    .get(
      DOCS_PATH,
      () =>
        new Response(page(title), {
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, 'cache-control': 'no-cache' },
        }),
      hidden,
    )
    .get(
      `${DOCS_PATH}/swagger-initializer.js`,
      () =>
        new Response(initializer, {
          headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
        }),
      hidden,
    )
    .get(
      `${DOCS_PATH}/:asset`,
      ({ params }) => {
        const path = Object.hasOwn(ASSETS, params.asset) ? ASSETS[params.asset] : undefined; // not `constructor` & co.
        if (path === undefined) throw new ApiProblem('not-found', `No docs asset ${params.asset}`);
        return new Response(Bun.file(path), {
          headers: { 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' },
        });
      },
      hidden,
    );
