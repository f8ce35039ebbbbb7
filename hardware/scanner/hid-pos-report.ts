// USB HID Point of Sale scanned-data reports (HID POS Usage Tables, page 0x8C),
// as barcode scanners send them in "HID POS" mode. The layout read here, one
// 64-byte input report per chunk:
//   [0]      report id (0x02, scanned data)
//   [1]      number of data bytes in this report (0..56)
//   [2..4]   AIM symbology identifier, 3 ASCII bytes (e.g. "]C0"), zeros if none
//   [5..60]  decoded data bytes
//   [63]     bit 0: more data follows in the next report
// A long code arrives over several reports and is reassembled. Pure: bytes in,
// scans out; bad reports are dropped with a reason, never thrown.

export const SCANNED_DATA_REPORT_ID = 0x02;
export const REPORT_BYTES = 64;
export const MAX_DATA_PER_REPORT = 56;
const MAX_CODE_BYTES = 512;

export type ReportResult =
  | { kind: 'partial' }
  | { kind: 'scan'; text: string; symbology: string | null }
  | { kind: 'ignored'; reason: string };

export class HidPosAssembler {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private symbology: string | null = null;

  push(report: Uint8Array): ReportResult {
    const r = Buffer.from(report);
    if (r.length < 6 || r[0] !== SCANNED_DATA_REPORT_ID) return { kind: 'ignored', reason: 'not a scanned-data report' };
    const length = r[1]!;
    if (length > MAX_DATA_PER_REPORT || 5 + length > r.length) {
      this.reset();
      return { kind: 'ignored', reason: `data length ${length} does not fit the report` };
    }
    if (this.chunks.length === 0) {
      const aim = r.subarray(2, 5);
      this.symbology = aim[0] === 0x5d ? aim.toString('latin1') : null; // ']' starts an AIM id
    }
    this.chunks.push(r.subarray(5, 5 + length));
    this.bytes += length;
    if (this.bytes > MAX_CODE_BYTES) {
      this.reset();
      return { kind: 'ignored', reason: 'code longer than any Civicard barcode' };
    }
    const more = r.length >= REPORT_BYTES && (r[REPORT_BYTES - 1]! & 0x01) === 1;
    if (more) return { kind: 'partial' };
    const text = Buffer.concat(this.chunks).toString('latin1');
    const symbology = this.symbology;
    this.reset();
    return text.length === 0 ? { kind: 'ignored', reason: 'empty scan' } : { kind: 'scan', text, symbology };
  }

  reset(): void {
    this.chunks = [];
    this.bytes = 0;
    this.symbology = null;
  }
}

/** The reports a scanner sends for `text` (used by the simulator and tests). */
export function hidPosReportsFor(text: string, symbology = ']C0'): Buffer[] {
  const data = Buffer.from(text, 'latin1');
  const reports: Buffer[] = [];
  for (let offset = 0; offset === 0 || offset < data.length; offset += MAX_DATA_PER_REPORT) {
    const chunk = data.subarray(offset, offset + MAX_DATA_PER_REPORT);
    const r = Buffer.alloc(REPORT_BYTES);
    r[0] = SCANNED_DATA_REPORT_ID;
    r[1] = chunk.length;
    Buffer.from(symbology, 'latin1').copy(r, 2, 0, 3);
    chunk.copy(r, 5);
    if (offset + MAX_DATA_PER_REPORT < data.length) r[REPORT_BYTES - 1] = 0x01;
    reports.push(r);
  }
  return reports;
}
