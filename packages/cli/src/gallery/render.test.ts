import { describe, expect, it } from 'vitest';
import { renderGallery } from './render.ts';

const page = renderGallery({
  title: 'Batch bat_1',
  summary: '2/3 succeeded, 1 failed · completed',
  items: [
    {
      index: 0,
      jobId: 'job_a',
      status: 'succeeded',
      file: '0-a-red-fox.png',
      width: 1024,
      height: 1024,
      prompt: 'a red fox <script>alert(1)</script>',
      enhancedPrompt: 'A photorealistic red fox in golden light',
      seed: 42,
      model: 'imagen-3.0-generate-002',
      aspectRatio: '1:1',
    },
    {
      index: 1,
      jobId: 'job_b',
      status: 'succeeded',
      file: '1-whale#2-0.png',
      prompt: 'whale',
      enhancedPrompt: null,
      model: 'imagen-3.0-generate-002',
      aspectRatio: '16:9',
    },
    {
      index: 2,
      jobId: 'job_c',
      status: 'failed',
      prompt: 'blocked',
      model: 'imagen-3.0-generate-002',
      aspectRatio: '1:1',
      error: 'failed: refused by the safety filter',
    },
  ],
});

describe('renderGallery', () => {
  it('links each thumbnail to its full image by a relative path', () => {
    expect(page).toContain('<a class="thumb" href="0-a-red-fox.png"');
    expect(page).toContain('<img src="0-a-red-fox.png"');
    expect(page).toContain('width="1024" height="1024"');
    expect(page).toContain('href="1-whale%232-0.png"');
  });

  it('shows prompt, enhanced prompt, seed, model and aspect ratio', () => {
    expect(page).toContain('A photorealistic red fox in golden light');
    expect(page).toContain('<dt>seed</dt><dd>42</dd>');
    expect(page).toContain('<dt>seed</dt><dd>random</dd>');
    expect(page).toContain('<dt>model</dt><dd>imagen-3.0-generate-002</dd>');
    expect(page).toContain('<dt>aspect</dt><dd>16:9</dd>');
  });

  it('says why a job has no image', () => {
    expect(page).toContain('failed: refused by the safety filter');
  });

  it('escapes prompts', () => {
    expect(page).not.toContain('<script>');
    expect(page).toContain('a red fox &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('works offline: inline CSS, no scripts, no absolute URLs', () => {
    expect(page).toMatch(/<style>[\s\S]*grid-template-columns[\s\S]*<\/style>/);
    expect(page).not.toMatch(/<script|<link|@import|url\(/i);
    expect(page).not.toMatch(/(src|href)="(https?:|\/\/|\/)/);
    expect(page).toContain('name="viewport"');
  });
});
