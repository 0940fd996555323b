// imgbackup's WeChat mini program. Set serverUrl to your server (HTTPS, whitelisted in the
// mini program console: see README.md).

App({
  globalData: {
    serverUrl: 'https://photos.example.com',
    // The original API's prefix: uploads go to serverUrl + apiVersion + 'service/image/'.
    apiVersion: '/api/v1.0/',
    // The API token, also kept in storage; set by lib/api.js after wx.login.
    token: '',
    // Set when photos were added or restored, so the photos page reloads when shown.
    photosDirty: false
  }
})
