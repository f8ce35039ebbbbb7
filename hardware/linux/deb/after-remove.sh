#!/bin/bash
# postrm of the civicard-kiosk deb (electron-builder deb.afterRemove).
# On upgrade ($1 = upgrade) nothing is removed: the new postinst installs over it.
# The kiosk's data in /var/lib/civicard (ledger, keys) is kept even on purge:
# it is the evidence of every payment and goes only by hand, after sync.
set -e

case "$1" in
    remove|purge)
        if [ -d /run/systemd/system ]; then
            systemctl disable --now civicard-kiosk.service || true
        fi
        rm -f /usr/lib/systemd/system/civicard-kiosk.service
        if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
        rm -f /usr/lib/udev/rules.d/60-civicard.rules /usr/lib/civicard/civicard-hid-pos /etc/modprobe.d/civicard-nfc-blacklist.conf
        rmdir /usr/lib/civicard 2>/dev/null || true
        if type udevadm >/dev/null 2>&1; then udevadm control --reload-rules || true; fi
        if type update-alternatives >/dev/null 2>&1; then
            update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}' || true
        fi
        rm -f '/usr/bin/${executable}'
        ;;
esac
exit 0
