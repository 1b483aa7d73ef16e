// Preloaded by bunfig.toml before every test file: engines that tests start as processes (weir-engine, the
// launcher, compiled binaries) read WEIR_RTSP_PORT, and the default :8554 would make two of them, or a test
// and a local server, collide. Port 0: the OS picks one. A test that wants RTSP sets its own port.
process.env.WEIR_RTSP_PORT ??= '0';
