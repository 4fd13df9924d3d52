/** The voter's booth: code → choice → encryption → audit or cast → receipt (spec §5). */
import '../../styles/booth.css';
import '../../styles/print.css';
import { contextFrom, type ElectionInfo } from '../../crypto/index.ts';
import { byId, focusOn } from '../dom';
import { clearError, showError } from '../errors';
import { loadElection } from '../election';
import { initShell } from '../shell';
import { initAuditStep, auditNow, renderAudit } from './audit-step';
import { castNow, initCastStep, renderCast } from './cast-step';
import { initChooseStep, renderChoices } from './choose-step';
import { initCodeStep, renderPhase } from './code-step';
import { initReceiptStep, renderReceipt } from './receipt-step';
import { state, wipeSecrets } from './state';
import { currentStep, showStep } from './steps';
import { encryptNow, initTrackingStep, renderTracking } from './tracking-step';

function renderAll(): void {
  renderPhase();
  renderChoices();
  renderTracking();
  renderAudit();
  if (currentStep() === 'casting') renderCast();
  renderReceipt();
}

function toChoose(): void {
  renderChoices();
  showStep('choose');
}

function toCode(): void {
  wipeSecrets();
  state.selected = [];
  renderChoices();
  showStep('code');
  byId('code-input').focus();
}

function wire(): void {
  initCodeStep(toChoose);
  initChooseStep(() => void encryptNow(), toCode);
  initTrackingStep(() => void castNow(), () => void auditNow(), toChoose);
  initAuditStep(() => void encryptNow(), toChoose);
  initCastStep({
    onReceipt: () => {
      renderReceipt();
      showStep('receipt');
    },
    onBackToCode: (e) => {
      toCode();
      showError(byId('code-error'), e);
      byId('code-input').setAttribute('aria-invalid', 'true');
    },
    onChange: toChoose,
  });
  initReceiptStep(() => {
    state.receipt = null;
    state.cosigners = [];
    state.castBytes = null;
    state.castTracking = null;
    toCode();
  });
}

async function start(): Promise<void> {
  const fatal = byId('fatal-error');
  try {
    // The shared check first, in every phase (it draws the footer only if it passes); then the
    // election hash from the manifest, joint key and credential list (§5.4).
    const { info } = await loadElection();
    state.ctx = info.context === null ? null : contextFrom(info as unknown as ElectionInfo);
    state.info = info;
    clearError(fatal);
    renderAll();
    showStep('code');
  } catch (e) {
    state.ctx = null;
    showError(fatal, e);
    focusOn(fatal);
  } finally {
    byId('loading').hidden = true;
  }
}

initShell('vote', renderAll);
wire();
void start();
