/** The vectors page: fetches /vectors/<file> and runs the shared checks (src/crypto/vectors.ts). */
const out = document.getElementById('results');
if (out) out.textContent = 'not implemented yet';
