/** Scanning the card's QR code with the camera where the browser has BarcodeDetector (its payload is
 * the same text as the printed code); where it does not, the scan button stays hidden. */
import { byId } from '../dom';
import { BoothError } from '../errors';

interface Detected { rawValue: string }
interface Detector { detect(source: HTMLVideoElement): Promise<Detected[]> }
type DetectorCtor = new (opts: { formats: string[] }) => Detector;

function detectorClass(): DetectorCtor | null {
  const c = (globalThis as { BarcodeDetector?: DetectorCtor }).BarcodeDetector;
  return typeof c === 'function' && !!navigator.mediaDevices?.getUserMedia ? c : null;
}

export function scanSupported(): boolean {
  return detectorClass() !== null;
}

let stream: MediaStream | null = null;
let running = false;

export function stopScan(): void {
  running = false;
  for (const tr of stream?.getTracks() ?? []) tr.stop();
  stream = null;
  const video = byId<HTMLVideoElement>('scan-video');
  video.srcObject = null;
  byId('scan-area').hidden = true;
}

/** Open the rear camera and call `found` with the first QR payload that looks like a code. */
export async function startScan(found: (text: string) => void, failed: (e: unknown) => void): Promise<void> {
  const Ctor = detectorClass();
  if (!Ctor) return;
  try {
    const detector = new Ctor({ formats: ['qr_code'] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    const video = byId<HTMLVideoElement>('scan-video');
    video.srcObject = stream;
    byId('scan-area').hidden = false;
    await video.play();
    running = true;
    while (running) {
      const codes = await detector.detect(video);
      const hit = codes.find((c) => /^\s*HMP1/i.test(c.rawValue));
      if (hit) {
        stopScan();
        found(hit.rawValue);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    stopScan();
    failed(new BoothError('scan_failed', e instanceof Error ? e.message : String(e)));
  }
}
