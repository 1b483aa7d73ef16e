// swagger-ui-dist's static files, imported `with { type: 'file' }`: Bun gives their path on
// disk (or inside a compiled executable), so the API docs UI works with no network.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui-standalone-preset.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/index.css' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/favicon-32x32.png' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/favicon-16x16.png' {
  const path: string;
  export default path;
}
