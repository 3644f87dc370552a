import { signal } from '@preact/signals';
import { AlertLeader, type BroadcastPort } from '../work/alert-leader.js';
import type { NewWork } from '../work/new-work.js';
import { channelNames, customerName } from './agent-console.js';

/**
 * New-work alerts: a short beep (WebAudio, no sound file) and a desktop notification. Browsers
 * block sound until the page has had a user gesture, so alerts start from an explicit button;
 * the choice is remembered, and on a later visit the sound unlocks on the first click or key.
 * Of the agent's tabs with alerts on, one plays them (AlertLeader).
 */
const alertsKey = 'tide.alerts';

export type Alerts = ReturnType<typeof createAlerts>;

export function createAlerts(agentId: string) {
  const enabled = signal(false);
  const notifications = signal<NotificationPermission | 'unsupported'>(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);
  let audio: AudioContext | undefined;
  let leader: AlertLeader | undefined;
  let port: BroadcastPort | undefined;

  const onPageHide = () => leave();

  function join(): void {
    if (leader) return;
    port = typeof BroadcastChannel === 'undefined' ? silentPort() : (new BroadcastChannel(`tide-alerts-${agentId}`) as unknown as BroadcastPort);
    leader = new AlertLeader(port, { now: () => Date.now(), setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as number) }, { id: randomId() });
    leader.start();
    addEventListener('pagehide', onPageHide);
  }

  function leave(): void {
    leader?.stop();
    port?.close();
    leader = undefined;
    port = undefined;
    removeEventListener('pagehide', onPageHide);
  }

  function unlockAudio(): void {
    try {
      audio ??= new AudioContext();
      if (audio.state === 'suspended') void audio.resume();
    } catch {
      // No WebAudio: notifications only.
    }
  }

  /** From the "Turn on alerts" button: the click is the gesture that lets sound play. */
  async function enable(): Promise<void> {
    unlockAudio();
    join();
    enabled.value = true;
    remember('on');
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') {
      notifications.value = await Notification.requestPermission();
    }
    // The agent hears at once that it works (and how it sounds).
    beep();
  }

  function disable(): void {
    leave();
    enabled.value = false;
    remember('off');
  }

  /** A previous visit turned alerts on: take part again, and unlock the sound on the first gesture. */
  function resume(): void {
    if (recalled() !== 'on') return;
    join();
    enabled.value = true;
    const unlock = () => {
      unlockAudio();
      removeEventListener('pointerdown', unlock, true);
      removeEventListener('keydown', unlock, true);
    };
    addEventListener('pointerdown', unlock, true);
    addEventListener('keydown', unlock, true);
  }

  function beep(): void {
    if (!audio || audio.state !== 'running') return;
    const t = audio.currentTime;
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, t);
    // Two short rising tones: noticeable, not alarming.
    for (const [i, frequency] of [660, 880].entries()) {
      const start = t + i * 0.16;
      const osc = audio.createOscillator();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(frequency, start);
      osc.connect(gain);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
      osc.start(start);
      osc.stop(start + 0.15);
    }
  }

  function alert(work: NewWork[]): void {
    if (!enabled.peek() || !leader?.isLeader()) return;
    beep();
    if (notifications.peek() === 'granted' && (document.visibilityState !== 'visible' || !document.hasFocus())) {
      // Who and where, never the customer's words: desktop notifications show on shared screens.
      const who = work.map((w) => `${customerName(w.item)} (${channelNames[w.item.channel] ?? w.item.channel})`).join(', ');
      try {
        const n = new Notification(work.length === 1 ? 'New work in Tide' : `${work.length} new in Tide`, { body: who, tag: 'tide-new-work' });
        n.onclick = () => {
          focus();
          n.close();
        };
      } catch {
        // Some browsers allow notifications only from a service worker: the sound still played.
      }
    }
  }

  return { enabled, notifications, enable, disable, resume, alert, beep };
}

function remember(value: 'on' | 'off'): void {
  try {
    localStorage.setItem(alertsKey, value);
  } catch {
    // Not remembered: this visit only.
  }
}

function recalled(): string | null {
  try {
    return localStorage.getItem(alertsKey);
  } catch {
    return null;
  }
}

function randomId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/** Without BroadcastChannel the tab cannot hear others: it leads alone. */
function silentPort(): BroadcastPort {
  return { postMessage() {}, onmessage: null, close() {} };
}
