import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { costlensDashboard, section } from '../dashboard.js';
import { bars, stat, timeseries } from '../panels.js';
import { speed, speedBy, total, totalBy } from '../promql.js';
import { BY_ALL } from '../variables.js';

const CALLS = 'costlens_calls_total';
const TOKENS = 'costlens_tokens_total';
const IMAGES = 'costlens_images_total';
const VIDEO = 'costlens_video_seconds_total';

// `input` already counts the cached tokens, so input plus output is every token once.
const IN_OUT = `${BY_ALL}, token_type=~"input|output"`;
const tokenKind = (kind: string) => `${BY_ALL}, token_type="${kind}"`;

/** Cache reads over all input tokens, over `window`. */
function cacheShare(window: 'range' | 'rate'): string {
  const over = (kind: string) =>
    window === 'range'
      ? total(TOKENS, tokenKind(kind))
      : `sum (rate(${TOKENS}{${tokenKind(kind)}}[$__rate_interval]))`;
  return `${over('cache_read')} / ${over('input')}`;
}

export function usageDashboard(): DashboardBuilder {
  return costlensDashboard(
    {
      uid: 'costlens-usage',
      title: 'costlens / Usage and trends',
      description:
        'How much is asked of the models: calls, tokens by kind, the cache, images, video, and the models used most.',
    },
    [
      section(
        'In range',
        stat(
          'Calls',
          'Calls stored in range, failed ones included.',
          total(CALLS, BY_ALL),
          'short',
          { w: 5, h: 4 },
        ),
        stat(
          'Tokens',
          'Input (cached included) plus output tokens.',
          total(TOKENS, IN_OUT),
          'short',
          { w: 5, h: 4 },
        ),
        stat(
          'Cache share of input',
          'Input tokens read from the prompt cache, over all input tokens.',
          cacheShare('range'),
          'percentunit',
          { w: 5, h: 4 },
        ).decimals(1),
        stat('Images', 'Images generated in range.', [{ expr: total(IMAGES, BY_ALL) }], 'short', {
          w: 4,
          h: 4,
        }),
        stat('Video', 'Seconds of video generated in range.', total(VIDEO, BY_ALL), 's', {
          w: 5,
          h: 4,
        }),
      ),
      section(
        'Trends',
        timeseries(
          'Calls per minute',
          'By call type (text, embedding, image, video, audio) and outcome.',
          [speedBy(CALLS, BY_ALL, 'call_type, status', 60)],
          'short',
          { stacked: true },
        ),
        timeseries(
          'Tokens per minute by kind',
          'input counts cached tokens too; cache_read and cache_write say how many of them were cache reads and writes.',
          [speedBy(TOKENS, BY_ALL, 'token_type', 60)],
          'short',
        ),
        timeseries(
          'Cache share of input',
          'Input tokens read from the prompt cache, over all input tokens.',
          [{ expr: cacheShare('rate'), legend: 'cache reads / input' }],
          'percentunit',
        ).max(1),
        bars(
          'Tokens by kind',
          'Tokens in range by kind.',
          [totalBy(TOKENS, BY_ALL, 'token_type')],
          'short',
          { w: 12, h: 8 },
        ),
      ),
      section(
        'Images and video',
        bars(
          'Images by resolution',
          'Images generated in range, by resolution.',
          [totalBy(IMAGES, BY_ALL, 'resolution')],
          'short',
        ),
        bars(
          'Video seconds by resolution and audio',
          'Seconds of video generated in range, by resolution and whether it has sound.',
          [
            {
              expr: total(VIDEO, BY_ALL, 'resolution, audio'),
              legend: '{{resolution}} audio={{audio}}',
            },
          ],
          's',
        ),
        timeseries(
          'Images and video per hour',
          'Images, and seconds of video, generated per hour.',
          [
            { expr: speed(IMAGES, BY_ALL, 'resolution', 3600), legend: 'images {{resolution}}' },
            { expr: speed(VIDEO, BY_ALL, 'resolution', 3600), legend: 'video s {{resolution}}' },
          ],
          'short',
          { size: { w: 8, h: 8 } },
        ),
      ),
      section(
        'Top models',
        bars(
          'Top models by calls',
          'The ten models called most in range.',
          [{ expr: `topk(10, ${total(CALLS, BY_ALL, 'model')})`, legend: '{{model}}' }],
          'short',
          { w: 12, h: 8 },
        ),
        bars(
          'Top models by tokens',
          'The ten models that read and wrote most tokens in range.',
          [{ expr: `topk(10, ${total(TOKENS, IN_OUT, 'model')})`, legend: '{{model}}' }],
          'short',
          { w: 12, h: 8 },
        ),
      ),
    ],
  );
}
