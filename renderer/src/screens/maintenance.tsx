// The maintenance screen a staff card opens at a kiosk: devices, sync state,
// offline limits, versions and the last self-test, with three actions.
import { useTranslation } from 'react-i18next';
import type { MaintenanceView } from '../api/views';
import type { MaintenanceCommand } from '../../../src/shared/maintenance-api';
import { Button, ScreenFrame, useMoney, useUi } from '../components/ui';
import { formatAge, formatDateTime } from '../format/format';

export function MaintenanceScreen(p: { view: MaintenanceView; state: string; send: (c: MaintenanceCommand) => void }) {
  const { t } = useTranslation();
  const money = useMoney();
  const { language, display } = useUi();
  const { sync, limits, versions, self_test } = p.view;
  const value = (v: string | number | null) => (v === null ? t('maintenance.unknown') : String(v));
  return (
    <ScreenFrame
      id="maintenance"
      state={p.state}
      title={t('maintenance.title')}
      body={t('maintenance.staff', { serial: p.view.staff_masked_serial })}
      actions={
        <>
          <Button label={t('maintenance.run_self_test')} onPress={() => p.send({ type: 'RUN_SELF_TEST' })} testId="run-self-test" variant="primary" />
          <Button label={t('maintenance.sync_now')} onPress={() => p.send({ type: 'SYNC_NOW' })} testId="sync-now" />
          <Button label={t('maintenance.exit')} onPress={() => p.send({ type: 'EXIT_MAINTENANCE' })} testId="exit-maintenance" />
        </>
      }
    >
      <div className="maintenance-grid">
        <section aria-labelledby="m-devices">
          <h2 id="m-devices">{t('maintenance.devices')}</h2>
          <ul data-testid="devices">
            {p.view.devices.map((d) => (
              <li key={d.name} data-device={d.name} data-device-state={d.state} className={`device device-${d.state}`}>
                {t(`maintenance.device.${d.name}`)}: <strong>{t(`maintenance.state.${d.state}`)}</strong>
                {d.detail_key ? <> — {t(`maintenance.detail.${d.detail_key}`)}</> : null}
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="m-sync">
          <h2 id="m-sync">{t('maintenance.sync')}</h2>
          <ul data-testid="sync">
            <li>
              <strong>{t(sync.online ? 'maintenance.online' : 'maintenance.offline')}</strong>
            </li>
            <li>{t('maintenance.unsynced', { count: sync.unsynced_entries })}</li>
            {sync.oldest_unsynced_age_ms !== null ? <li>{t('maintenance.oldest', { age: formatAge(sync.oldest_unsynced_age_ms, language) })}</li> : null}
            <li>{t('maintenance.unsynced_debits', { amount: money(sync.unsynced_debits_minor) })}</li>
            <li>{t('maintenance.last_sync', { date: sync.last_sync_at ? formatDateTime(sync.last_sync_at, language, display) : t('maintenance.never') })}</li>
            {sync.hotlist_age_ms !== null ? <li>{t('maintenance.hotlist_age', { age: formatAge(sync.hotlist_age_ms, language) })}</li> : null}
          </ul>
        </section>
        <section aria-labelledby="m-limits">
          <h2 id="m-limits">{t('maintenance.limits')}</h2>
          <ul data-testid="limits">
            <li>{t('maintenance.limit.offline_tx', { amount: money(limits.offline_tx_max_minor) })}</li>
            <li>{t('maintenance.limit.unsynced_cap', { amount: money(limits.unsynced_cap_minor) })}</li>
            <li>{t('maintenance.limit.daily_card', { amount: money(limits.daily_card_max_minor) })}</li>
            <li>{t('maintenance.limit.hotlist_age', { age: formatAge(limits.hotlist_max_age_ms, language) })}</li>
          </ul>
        </section>
        <section aria-labelledby="m-versions">
          <h2 id="m-versions">{t('maintenance.versions')}</h2>
          <ul data-testid="versions">
            <li>{t('maintenance.version.app', { value: versions.app })}</li>
            <li>{t('maintenance.version.config', { value: value(versions.config) })}</li>
            <li>{t('maintenance.version.ledger_schema', { value: value(versions.ledger_schema) })}</li>
            <li>{t('maintenance.version.card_keys', { value: value(versions.card_keys) })}</li>
          </ul>
        </section>
        <section aria-labelledby="m-selftest">
          <h2 id="m-selftest">{t('maintenance.self_test')}</h2>
          <p data-testid="self-test">
            {self_test === null
              ? t('maintenance.self_test.none')
              : self_test.ok
                ? t('maintenance.self_test.ok', { date: formatDateTime(self_test.at, language, display) })
                : t('maintenance.self_test.failed', { date: formatDateTime(self_test.at, language, display), checks: self_test.failed.join(', ') })}
          </p>
        </section>
      </div>
    </ScreenFrame>
  );
}
