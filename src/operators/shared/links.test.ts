import { describe, expect, it } from 'vitest';
import { deobfuscate, findLink, isAllowedHost } from './links.js';
import { foldText } from './text.js';

const link = (text: string, allowed: string[] = []) => findLink(foldText(text), allowed, true);

describe('links', () => {
  it('finds plain, schemed and www links', () => {
    expect(link('see example.com')).toBe('example.com');
    expect(link('https://example.org/path?q=1')).toBe('example.org');
    expect(link('www.anything.example')).toBe('anything.example');
    expect(link('go to discord.gg/abc')).toBe('discord.gg');
    expect(link('http://localhost')).toBe('');
  });

  it('finds obfuscated links', () => {
    for (const text of [
      'example dot com',
      'example (dot) com',
      'example[.]com',
      'example(.)com',
      'example . com',
      'example . c o m',
      'example\u3002com',
      'hxxps://example.com',
      'hxxp[:]//example.com',
    ]) {
      expect(link(text), text).toBe('example.com');
    }
    expect(findLink(foldText('example dot com'), [], false)).toBeUndefined();
  });

  it('leaves numbers, versions, abbreviations and file names alone', () => {
    for (const text of ['2.5', 'v1.2.3', 'e.g. this', 'i.e. that', 'file.txt', 'main.py', 'readme.md', 'Node.js', 'ok.so', 'wait...what', '192.168.0.1']) {
      expect(link(text), text).toBeUndefined();
    }
  });

  it('allows listed domains and their subdomains', () => {
    expect(link('m.youtube.com/watch', ['youtube.com'])).toBeUndefined();
    expect(link('youtube.com', ['youtube.com'])).toBeUndefined();
    expect(link('notyoutube.com', ['youtube.com'])).toBe('notyoutube.com');
    expect(link('youtube.com and evil.com', ['youtube.com'])).toBe('evil.com');
    expect(isAllowedHost('a.b.twitch.tv', ['twitch.tv'])).toBe(true);
  });

  it('undoes obfuscation only where it reads as a link', () => {
    expect(deobfuscate('example . c o m')).toBe('example.com');
    expect(deobfuscate('the end . next')).toBe('the end.next');
    expect(deobfuscate('hello there')).toBe('hello there');
  });
});
