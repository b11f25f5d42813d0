import { expect, test } from 'vitest'
import { groupIssuesByField, type Issue, toJsonPointer } from './issues'

test('JSON Pointers escape ~ and / per RFC 6901', () => {
  expect(toJsonPointer([])).toBe('')
  expect(toJsonPointer(['a', 0, 'b'])).toBe('/a/0/b')
  expect(toJsonPointer(['a/b', 'm~n'])).toBe('/a~1b/m~0n')
})

test('issues group by dotted path, root under the empty key, with no prototype surprises', () => {
  const issue = (path: (string | number)[], message: string): Issue => ({
    path,
    pointer: toJsonPointer(path),
    code: 'x',
    message,
  })
  const grouped = groupIssuesByField([
    issue(['email'], 'Invalid email'),
    issue(['email'], 'Too long'),
    issue(['items', 0, 'qty'], 'Too small'),
    issue([], 'Passwords do not match'),
    issue(['constructor'], 'Reserved'),
  ])
  expect({ ...grouped }).toEqual({
    email: ['Invalid email', 'Too long'],
    'items.0.qty': ['Too small'],
    '': ['Passwords do not match'],
    constructor: ['Reserved'],
  })
})
