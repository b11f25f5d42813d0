import { expect, test } from 'vitest'
import { issuesOf, summarizeIssues, toIssues } from './validation'

test('Standard Schema issues normalize: path segments, symbols, missing codes', () => {
  const sym = Symbol('tag')
  expect(
    toIssues([
      { message: 'Required', path: ['user', { key: 'emails' }, 0] },
      { message: 'Bad', path: [sym] },
      { message: 'Root problem' },
      { code: 'too_small', message: 'Too small', path: ['a/b'] },
    ]),
  ).toEqual([
    { path: ['user', 'emails', 0], pointer: '/user/emails/0', code: 'invalid', message: 'Required' },
    { path: ['tag'], pointer: '/tag', code: 'invalid', message: 'Bad' },
    { path: [], pointer: '', code: 'invalid', message: 'Root problem' },
    { path: ['a/b'], pointer: '/a~1b', code: 'too_small', message: 'Too small' },
  ])
})

test('issuesOf reads a validator error and ignores anything else', () => {
  expect(issuesOf({ issues: [{ message: 'x', path: [] }] })).toHaveLength(1)
  expect(issuesOf(new Error('x'))).toBeUndefined()
  expect(issuesOf('x')).toBeUndefined()
})

test('the summary is one readable line that names fields, never a JSON dump', () => {
  const issues = toIssues([
    { message: 'Invalid email', path: ['email'] },
    { message: 'Too short', path: ['name'] },
    { message: 'Required', path: ['address', 'city'] },
    { message: 'Too big', path: ['age'] },
  ])
  expect(summarizeIssues(issues)).toBe(
    'Validation failed: email: Invalid email; name: Too short; address.city: Required (+1 more)',
  )
  expect(summarizeIssues([])).toBe('Validation failed')
})
