// Static files imported `with { type: 'file' }`: Bun gives their path on disk or inside the
// compiled executable.
declare module '*.css' {
  const path: string;
  export default path;
}
declare module '*/public/console.js' {
  const path: string;
  export default path;
}
declare module '*/public/console-player.js' {
  const path: string;
  export default path;
}
declare module '*/public/console-webrtc.js' {
  const path: string;
  export default path;
}
declare module '*/public/console-recordings.js' {
  const path: string;
  export default path;
}
declare module 'htmx.org/dist/htmx.min.js' {
  const path: string;
  export default path;
}
declare module 'hls.js/dist/hls.min.js' {
  const path: string;
  export default path;
}
declare module 'mpegts.js/dist/mpegts.js' {
  const path: string;
  export default path;
}
