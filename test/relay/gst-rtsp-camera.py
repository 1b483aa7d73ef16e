# A camera for the tests, made of GStreamer's RTSP server library (gst-rtsp-server): live H.264 and AAC (MP4A-LATM,
# as GStreamer payloads AAC) at rtsp://127.0.0.1:PORT/cam, behind Digest authentication (MD5) for USER/PASSWORD.
# Usage: /usr/bin/python3 gst-rtsp-camera.py PORT USER PASSWORD   (prints "ready" once listening; runs until killed)
import sys
import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

port, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(port)

factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    '( videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=25/1'
    ' ! x264enc tune=zerolatency key-int-max=25 speed-preset=veryfast ! rtph264pay name=pay0 pt=96 config-interval=1'
    ' audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! rtpmp4apay name=pay1 pt=97 )'
)
factory.set_shared(True)
factory.add_role_from_structure(
    Gst.Structure.from_string('user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0]
)

auth = GstRtspServer.RTSPAuth()
auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
token = GstRtspServer.RTSPToken()
token.set_string('media.factory.role', 'user')
auth.add_digest(user, password, token)
server.set_auth(auth)

server.get_mount_points().add_factory('/cam', factory)
if server.attach(None) == 0:
    sys.exit('cannot listen on 127.0.0.1:' + port)
print('ready', flush=True)
GLib.MainLoop().run()
