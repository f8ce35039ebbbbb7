#!/bin/bash
# postinst of the civicard-kiosk deb (electron-builder deb.afterInstall; it
# replaces electron-builder's own, so the first part does what that one did).
# electron-builder fills in ${executable} and ${sanitizedProductName}; any other
# dollar-brace word would fail the build, so shell variables here are plain $NAME.
set -e

APP_DIR='/opt/${sanitizedProductName}'
LINUX_FILES="$APP_DIR/resources/linux"

# --- what electron-builder's default postinst does ---
if type update-alternatives >/dev/null 2>&1; then
    if [ -L '/usr/bin/${executable}' ] && [ -e '/usr/bin/${executable}' ] && [ "$(readlink '/usr/bin/${executable}')" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' "$APP_DIR/${executable}" 100 || ln -sf "$APP_DIR/${executable}" '/usr/bin/${executable}'
else
    ln -sf "$APP_DIR/${executable}" '/usr/bin/${executable}'
fi
# Chromium's renderer sandbox: user namespaces where the kernel allows them,
# the setuid helper only where it does not.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
    chmod 0755 "$APP_DIR/chrome-sandbox" || true
else
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
fi

# --- the kiosk's service account ---
if ! getent group civicard >/dev/null; then
    groupadd --system civicard
fi
if ! getent passwd civicard >/dev/null; then
    useradd --system --gid civicard --home-dir /var/lib/civicard --no-create-home --shell /usr/sbin/nologin --comment 'Civicard kiosk' civicard
fi
for group in video render input audio; do
    if getent group "$group" >/dev/null; then usermod --append --groups "$group" civicard; fi
done
install -d -o civicard -g civicard -m 0700 /var/lib/civicard

# --- devices: udev rules and their helper, the NFC blacklist ---
install -D -m 0755 "$LINUX_FILES/udev/civicard-hid-pos" /usr/lib/civicard/civicard-hid-pos
install -D -m 0644 "$LINUX_FILES/udev/60-civicard.rules" /usr/lib/udev/rules.d/60-civicard.rules
install -D -m 0644 "$LINUX_FILES/modprobe/civicard-nfc-blacklist.conf" /etc/modprobe.d/civicard-nfc-blacklist.conf
if type udevadm >/dev/null 2>&1; then
    udevadm control --reload-rules || true
    udevadm trigger --action=change --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=hidraw || true
fi

# --- the kiosk service: enabled for the next boot, not started under apt ---
# (an upgrade does not restart a running kiosk either: it may be mid-payment;
# the new version runs from the next restart)
install -D -m 0644 "$LINUX_FILES/systemd/civicard-kiosk.service" /usr/lib/systemd/system/civicard-kiosk.service
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    systemctl enable civicard-kiosk.service || true
fi
exit 0
