/* Asks an X11 window to close, as a window manager does when its close button is clicked: a
 * WM_PROTOCOLS client message carrying WM_DELETE_WINDOW. The desktop test runs under a bare
 * Xvfb, with no window manager to do it.
 * Usage: xclose WINDOW-ID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: xclose WINDOW-ID\n");
    return 2;
  }
  Window window = (Window)strtoul(argv[1], NULL, 0);
  Display *display = XOpenDisplay(NULL);
  if (!display) {
    fprintf(stderr, "xclose: cannot open the display\n");
    return 1;
  }
  XEvent event;
  memset(&event, 0, sizeof event);
  event.xclient.type = ClientMessage;
  event.xclient.window = window;
  event.xclient.message_type = XInternAtom(display, "WM_PROTOCOLS", False);
  event.xclient.format = 32;
  event.xclient.data.l[0] = (long)XInternAtom(display, "WM_DELETE_WINDOW", False);
  event.xclient.data.l[1] = CurrentTime;
  Status sent = XSendEvent(display, window, False, NoEventMask, &event);
  XSync(display, False);
  XCloseDisplay(display);
  return sent ? 0 : 1;
}
