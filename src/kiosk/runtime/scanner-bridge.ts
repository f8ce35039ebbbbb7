import { parseScannedCode } from '../../shared/barcodes';
import type { BarcodeScanner, Scan } from '../../../hardware/scanner/types';
import type { ResidentKiosk } from './resident-kiosk';

// Scanning a library fine notice, a library card or a parking citation picks what to pay, as
// if the resident had typed it. A code that is not one of ours, or a scan
// while no card is on the screen, is refused with a reason the UI can show.

export type ScanRefusal = 'not_a_known_barcode' | 'bad_check_digit' | 'not_now';

export function attachScanner(actor: ResidentKiosk, scanner: BarcodeScanner, onRefused: (reason: ScanRefusal) => void = () => {}): () => void {
  const onScan = (scan: Scan) => {
    const code = parseScannedCode(scan.text);
    if (code.kind === 'unknown') return onRefused(code.reason === 'bad_check_digit' ? 'bad_check_digit' : 'not_a_known_barcode');
    const s = actor.getSnapshot();
    if (!s.matches({ session: 'balanceShown' }) && !s.matches({ session: 'chooseService' })) return onRefused('not_now');
    if (s.matches({ session: 'balanceShown' })) actor.send({ type: 'CONTINUE' });
    if (code.kind === 'library_fine') actor.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: code.fee_id });
    else if (code.kind === 'library_card') actor.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: code.card_number });
    else actor.send({ type: 'SELECT_SERVICE', kind: 'citation', reference: code.citation_number });
  };
  scanner.on('scan', onScan);
  return () => scanner.off('scan', onScan);
}
