// Preloaded by bunfig.toml before every test file: engines that tests start as processes (weir-engine, the
// launcher, compiled binaries) read these variables, and the default ports would make two of them, or a
// test and a local server, collide.
// RTSP :8554 -> port 0: the OS picks one. A test that wants RTSP sets its own port.
process.env.WEIR_RTSP_PORT ??= '0';
// SRT UDP :10080 -> 0 means no SRT listener (a caller must be told the port); test/e2e/srt-ffmpeg.test.ts
// runs its engine in-process on a free port.
process.env.WEIR_SRT_PORT ??= '0';
// WebRTC UDP :8189 -> 0 means no WebRTC listener (browsers must be told the port in the SDP answer); the WHEP/WHIP
// tests run their engine in-process on an OS-assigned port.
process.env.WEIR_WEBRTC_PORT ??= '0';
