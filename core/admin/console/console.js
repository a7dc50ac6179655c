// The administration console: plain browser JavaScript over the administration API, no build
// step. The access token lives in this module's memory only (never in storage); every value from
// the server is written as text, never as markup.
const SCOPES = [
  'https://jans.io/oauth/config/scripts.write',
  'https://jans.io/oauth/config/openid/clients.write',
  'https://jans.io/oauth/jans-auth-server/config/properties.write',
].join(' ');
const VERDICTS = ['agreed', 'would-refuse', 'would-accept', 'would-change', 'failed'];

let token;
let decisionsCursor = null;
const $ = (selector) => document.querySelector(selector);

function say(text, failed = false) {
  const status = $('#status');
  status.textContent = text;
  status.className = failed ? 'failed' : '';
}

async function api(method, path, body, contentType = 'application/json') {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new Error(answer?.error_description ?? `HTTP ${response.status}`);
  return answer;
}

/** A table row of text cells; a cell may be a node (buttons). */
function row(cells, classes = []) {
  const tr = document.createElement('tr');
  cells.forEach((cell, index) => {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === undefined || cell === null ? '' : typeof cell === 'string' ? cell : JSON.stringify(cell);
    if (classes[index]) td.className = classes[index];
    tr.append(td);
  });
  return tr;
}

const fill = (selector, rows) => $(selector).replaceChildren(...rows);
const when = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

const views = {
  async scripts() {
    const { scripts } = await api('GET', '/admin/scripts');
    fill(
      '#scripts-rows',
      scripts.map((script) => {
        const stats = Object.values(script.stats ?? {});
        const calls = stats.reduce((sum, hook) => sum + hook.calls, 0);
        const errors = stats.reduce((sum, hook) => sum + hook.errors, 0);
        const error = script.lastError ? `${script.lastError.code}: ${script.lastError.message}` : '';
        return row([script.name, script.state, script.mode, script.hash?.slice(0, 12), (script.hooks ?? []).join(', '), String(calls), String(errors), error], ['', '', '', '', '', '', '', 'error']);
      }),
    );
  },
  async decisions(more = false) {
    const form = new FormData($('#decision-filters'));
    const query = new URLSearchParams();
    for (const [name, value] of form) if (value) query.set(name, name === 'since' ? new Date(String(value)).toISOString() : String(value));
    if (more && decisionsCursor) query.set('cursor', decisionsCursor);
    const { decisions, next } = await api('GET', `/admin/decisions?${query}`);
    decisionsCursor = next;
    $('#decisions-more').hidden = !next;
    const rows = decisions.map((record) =>
      row([when(record.at), record.operation, record.outcome, record.clientId, record.scripts.map((call) => `${call.script}.${call.hook}: ${call.decision}`).join('; '), String(record.latencyMs)], ['', '', record.outcome === 'ok' ? '' : 'error']),
    );
    if (more) $('#decision-rows').append(...rows);
    else fill('#decision-rows', rows);
  },
  async shadow() {
    const { scripts } = await api('GET', '/admin/scripts');
    const shadows = scripts.filter((script) => script.mode === 'shadow');
    const rows = [];
    for (const script of shadows) {
      const { decisions } = await api('GET', `/admin/decisions?script=${encodeURIComponent(script.name)}&limit=200`);
      const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0]));
      for (const record of decisions) for (const call of record.scripts) if (call.script === script.name && call.decision.startsWith('shadow:')) counts[call.decision.slice(7)] += 1;
      rows.push(row([script.name, ...VERDICTS.map((verdict) => String(counts[verdict]))]));
    }
    fill('#shadow-rows', rows.length ? rows : [row(['no script is in shadow mode'])]);
  },
  async clients() {
    const { entries } = await api('GET', '/admin/clients?status=pending&limit=200');
    fill(
      '#client-rows',
      entries.map((client) => {
        const actions = document.createElement('span');
        for (const action of ['approve', 'reject']) {
          const button = document.createElement('button');
          button.textContent = action === 'approve' ? 'Approve' : 'Reject';
          button.addEventListener('click', () => run(async () => {
            await api('POST', `/admin/clients/${encodeURIComponent(client.inum)}/${action}`);
            say(`${client.inum} ${action === 'approve' ? 'approved' : 'rejected'}`);
            await views.clients();
          }));
          actions.append(button);
        }
        return row([client.inum, client.displayName, client.softwareId, client.clientIdIssuedAt, actions]);
      }),
    );
  },
  async config() {
    const [config, audit] = await Promise.all([api('GET', '/admin/config'), api('GET', '/admin/config/audit?limit=50')]);
    $('#config-json').textContent = JSON.stringify(config, null, 2);
    fill('#audit-rows', audit.changes.flatMap((change) => change.changes.map((one) => row([when(change.at), change.actor, one.property, one.old, one.new]))));
  },
  async replay() {},
  async fleet() {
    const view = await api('GET', '/admin/fleet');
    const disagree = Object.entries(view.agree).filter(([, agreed]) => !agreed).map(([what]) => what);
    const count = `${view.processes.length} process${view.processes.length === 1 ? '' : 'es'}`;
    $('#fleet-agree').textContent = disagree.length === 0 ? `${count}, in agreement` : `${count}; they differ in: ${disagree.join(', ')}`;
    $('#fleet-agree').className = disagree.length === 0 ? '' : 'error';
    fill(
      '#fleet-rows',
      view.processes.map((process) =>
        row([
          process.host,
          String(process.pid),
          process.role,
          process.version,
          when(process.startedAt),
          when(process.reportedAt),
          `revision ${process.configurationRevision}`,
          process.scripts.filter((script) => script.state === 'active').map((script) => `${script.name} ${script.version}`).join(', '),
          process.authorizationServer.type ? `${process.authorizationServer.type}${process.authorizationServer.reachable === false ? ' (unreachable)' : ''}` : 'none',
        ]),
      ),
    );
    $('#fleet-stale').textContent = view.stale.length === 0 ? '' : `Stopped reporting: ${view.stale.map((process) => `${process.host} pid ${process.pid} (last ${when(process.reportedAt)})`).join(', ')}`;
  },
};

async function run(work) {
  try {
    await work();
  } catch (err) {
    say(err.message, true);
  }
}

function show(tab) {
  for (const section of document.querySelectorAll('section')) section.hidden = section.id !== tab;
  for (const button of document.querySelectorAll('nav button[data-tab]')) button.classList.toggle('active', button.dataset.tab === tab);
  say('');
  return run(() => views[tab]());
}

$('#sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  run(async () => {
    // Form parameters, not HTTP Basic: a refused Basic login would make the browser prompt for credentials.
    const response = await fetch('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPES, client_id: form.get('clientId'), client_secret: form.get('clientSecret') }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error_description ?? 'sign-in failed');
    token = answer.access_token;
    event.target.reset();
    $('#tabs').hidden = false;
    await show('scripts');
  });
});

$('#sign-out').addEventListener('click', () => {
  token = undefined;
  $('#tabs').hidden = true;
  for (const section of document.querySelectorAll('section')) section.hidden = section.id !== 'sign-in';
});

for (const button of document.querySelectorAll('nav button[data-tab]')) button.addEventListener('click', () => show(button.dataset.tab));
for (const button of document.querySelectorAll('button.refresh')) button.addEventListener('click', () => run(() => views[button.dataset.refresh]()));

$('#decision-filters').addEventListener('submit', (event) => {
  event.preventDefault();
  run(() => views.decisions());
});
$('#decisions-more').addEventListener('click', () => run(() => views.decisions(true)));

$('#replay-form').elements.file.addEventListener('change', async (event) => {
  const [file] = event.target.files;
  if (file) $('#replay-form').elements.source.value = await file.text();
});
$('#replay-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target.elements;
  run(async () => {
    say('replaying…');
    const report = await api('POST', `/admin/scripts/${encodeURIComponent(form.name.value)}/replay`, { source: form.source.value, last: Number(form.last.value) || 100 });
    $('#replay-summary').textContent = `${report.changed} of ${report.total} recorded registrations would change${report.skipped ? ` (${report.skipped} not replayable)` : ''}`;
    fill(
      '#replay-rows',
      report.records.flatMap((record) => Object.entries(record.diff).map(([member, change]) => row([record.request_id, record.client_id, member, change.before, change.after]))),
    );
    say('');
  });
});

$('#patch-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api('PATCH', '/admin/config', event.target.elements.patch.value, 'application/json-patch+json');
    say('configuration changed');
    await views.config();
  });
});
