<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja">
<context>
    <name>AudioPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/health.py" line="+241"/>
        <source>Microphone level</source>
        <translation>マイク音量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute</source>
        <translation>ミュート</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute the microphone</source>
        <translation>マイクをミュート</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gain</source>
        <translation>ゲイン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone gain</source>
        <translation>マイクのゲイン</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>no mic</source>
        <translation>マイクなし</translation>
    </message>
</context>
<context>
    <name>BoardPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/board.py" line="+255"/>
        <source>Viewers now</source>
        <translation>視聴者数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments/min</source>
        <translation>コメント/分</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders/min</source>
        <translation>注文/分</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+18"/>
        <source>GMV</source>
        <translation>売上</translation>
    </message>
    <message>
        <location line="-17"/>
        <location line="+20"/>
        <source>Conversion</source>
        <translation>コンバージョン率</translation>
    </message>
    <message>
        <location line="-19"/>
        <source>Average order</source>
        <translation>平均注文額</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Buyers ÷ peak viewers</source>
        <translation>購入者 ÷ 最大視聴者数</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Viewers over the last ten minutes</source>
        <translation>直近10分間の視聴者数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompts</source>
        <translation>プロンプト</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dismiss</source>
        <translation>閉じる</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take the selected prompt off the board</source>
        <translation>選択したプロンプトをボードから外す</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rules</source>
        <translation>ルール</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Which prompts the board gives</source>
        <translation>ボードが出すプロンプト</translation>
    </message>
    <message>
        <source>Viewers fell by more than %1% in %2 s</source>
        <translation type="vanished">%2 秒で視聴者が %1% 以上減少</translation>
    </message>
    <message>
        <source>A deal ends within %1 s with more than %2% of its units left</source>
        <translation type="vanished">セールが %1 秒以内に終了し、%2% 超が売れ残り</translation>
    </message>
    <message>
        <source>The product on screen sold out</source>
        <translation type="vanished">表示中の商品が完売</translation>
    </message>
    <message>
        <source>A question has waited %1 s unanswered</source>
        <translation type="vanished">質問が %1 秒未回答</translation>
    </message>
    <message>
        <source>The product on screen will sell out before its segment ends</source>
        <translation type="vanished">表示中の商品がコーナー終了前に完売しそう</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Segments</source>
        <translation>コーナー</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sold</source>
        <translation>販売数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Forecast</source>
        <translation>完売予測</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Segment</source>
        <translation>コーナー</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Peak</source>
        <translation>最大</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Orders</source>
        <translation>注文</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Viewers fell from %1 to %2 in %3 min: give them a reason to stay</source>
        <translation>%3 分で視聴者が %1 から %2 に減少：残る理由を伝えましょう</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Deal on %1 ends in %2 s with %3 of %4 left</source>
        <translation>%1 のセールは残り %2 秒、%4 点中 %3 点が残っています</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sold out while on screen: move on or restock</source>
        <translation>%1 が表示中に完売：次へ進むか補充を</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A question has waited %1 s: %2: %3</source>
        <translation>質問が %1 秒待っています：%2：%3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sells out in ~%2 min, before this segment ends</source>
        <translation>%1 は約 %2 分で完売、このコーナーの終了前です</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>No feed counts viewers</source>
        <translation>視聴者数を送るフィードがありません</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Peak %1 · buyers %2</source>
        <translation>最大 %1 · 購入者 %2</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>sold out</source>
        <translation>完売</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sells out in ~%1 min</source>
        <translation>約 %1 分で完売</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>On sale now</source>
        <translation>販売中</translation>
    </message>
</context>
<context>
    <name>CommentPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/comments.py" line="+295"/>
        <source>Time</source>
        <translation>時刻</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Name</source>
        <translation>名前</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Comment</source>
        <translation>コメント</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Search comments</source>
        <translation>コメントを検索</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Questions</source>
        <translation>質問</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show questions only</source>
        <translation>質問のみ表示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flagged</source>
        <translation>要注意</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show flagged comments only</source>
        <translation>要注意のコメントのみ表示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments</source>
        <translation>コメント</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pin</source>
        <translation>固定</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pin the selected comment to the picture</source>
        <translation>選択したコメントを映像に固定表示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unpin</source>
        <translation>固定解除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take the pinned comment off the picture</source>
        <translation>固定コメントを映像から外す</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hide</source>
        <translation>非表示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hide the selected comment</source>
        <translation>選択したコメントを非表示</translation>
    </message>
    <message>
        <source>%1 new comments ↓</source>
        <translation type="vanished">新着コメント %1 件 ↓</translation>
    </message>
    <message>
        <source>%1 new comments: show the newest</source>
        <translation type="vanished">新着コメント %1 件：最新を表示</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+93"/>
        <source>%1 received</source>
        <translation>%1 件受信</translation>
    </message>
    <message numerus="yes">
        <location line="-34"/>
        <source>%Ln new comment(s) ↓</source>
        <translation>
            <numerusform>新着コメント %Ln 件 ↓</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln new comment(s): show the newest</source>
        <translation>
            <numerusform>新着コメント %Ln 件：最新を表示</numerusform>
        </translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Nothing pinned</source>
        <translation>固定中のコメントなし</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Pinned: %1: %2</source>
        <translation>固定中：%1：%2</translation>
    </message>
</context>
<context>
    <name>ControlServer</name>
    <message>
        <location filename="../src/anchordesk/control/server.py" line="+210"/>
        <source>no show is running yet</source>
        <translation>実行中の番組はまだありません</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>another site&apos;s page may not use this API (a proxy in front of the remote must pass the Host header on as it came)</source>
        <translation>他のサイトのページはこの API を使えません（リモコンの前に置くプロキシは Host ヘッダーをそのまま渡してください）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the show has moved on to another session since this was sent</source>
        <translation>送信後に番組は別のセッションに移りました</translation>
    </message>
    <message>
        <location line="+565"/>
        <source>{command} failed: see the log</source>
        <translation>{command} に失敗しました。ログを確認してください</translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <location filename="../src/anchordesk/ui/controller.py" line="+272"/>
        <source>Cannot open the show: %1</source>
        <translation>番組を開けません：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No show to open: the sample show is missing.</source>
        <translation>開く番組がありません：サンプル番組が見つかりません。</translation>
    </message>
    <message>
        <location line="+670"/>
        <source>Recording to %1</source>
        <translation>%1 に録画中</translation>
    </message>
    <message>
        <location line="-554"/>
        <source>The picture could not start: %1</source>
        <translation>映像を開始できません：%1</translation>
    </message>
    <message>
        <location line="-50"/>
        <source>The camera %1 chosen in Settings cannot be opened: the picture shows the test pattern. Choose another camera in Settings → Devices.</source>
        <translation>設定で選んだカメラ %1 を開けません：映像はテストパターンです。「設定 → デバイス」で別のカメラを選んでください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The microphone %1 chosen in Settings cannot be opened: the show has the test tone. Choose another microphone in Settings → Devices.</source>
        <translation>設定で選んだマイク %1 を開けません：音声はテストトーンです。「設定 → デバイス」で別のマイクを選んでください。</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>The rehearsal did not start: its session file cannot be made: %1. Make room on that disk or make it writable, then choose Rehearse again.</source>
        <translation>リハーサルを開始できませんでした。セッションファイルを作成できません：%1。そのディスクの空きを作るか書き込み可能にしてから、「もう一度リハーサル」を選んでください。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Cannot %1: no event loop.</source>
        <translation>%1できません：イベントループがありません。</translation>
    </message>
    <message>
        <location line="+171"/>
        <source>none</source>
        <translation>なし</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 fps</source>
        <translation>%1 fps</translation>
    </message>
    <message>
        <location line="+136"/>
        <source>The recordings folder %1 does not answer (a network disk whose server went away?): this session is not recorded. Choose another folder in Settings.</source>
        <translation>録画フォルダー %1 が応答しません（サーバーが落ちたネットワークディスク？）。このセッションは録画されません。設定で別のフォルダーを選んでください。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The log file is no longer written: %1. The show goes on; what happens from now on is not in the log.</source>
        <translation>ログファイルへの書き込みが止まりました：%1。番組はそのまま続きます。これ以降の出来事はログに残りません。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>The session file is no longer written: %1. Comments, orders and show events from now on are not kept; the show goes on.</source>
        <translation>セッションファイルへの書き込みが止まりました：%1。これ以降のコメント、注文、番組イベントは保存されません。番組はそのまま続きます。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The session file cannot be written for now: %1. Comments, orders and show events wait and are kept as soon as it lets go; close that program. The show goes on.</source>
        <translation>セッションファイルに今は書き込めません：%1。コメント、注文、番組イベントは待機し、ロックが解除され次第保存されます。そのプログラムを閉じてください。番組はそのまま続きます。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The session file is written again: what waited is kept.</source>
        <translation>セッションファイルへの書き込みが再開しました。待機していた分も保存されています。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The session file %1 was closed before everything was written (another program held it locked, or it did not answer in time): its last comments, orders or show events may be missing from it and from its report.</source>
        <translation>セッションファイル %1 はすべてを書き込む前に閉じられました（別のプログラムがロックしていたか、時間内に応答しませんでした）。最後のコメント、注文、番組イベントがファイルとそのレポートから欠けている可能性があります。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>The comment and order feeds stopped: %1. No comments or orders arrive in this session; the show goes on.</source>
        <translation>コメントと注文のフィードが停止しました：%1。このセッションではコメントも注文も届きません。配信は続行します。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The %1 feed cannot be read: %2. No comments or orders arrive from it; AnchorDesk keeps asking.</source>
        <translation>%1 フィードを読み取れません：%2。このフィードからコメントや注文は届きません。AnchorDesk は問い合わせを続けます。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The %1 feed is not answering: no comments or orders arrive from it. AnchorDesk keeps asking.</source>
        <translation>%1 フィードが応答しません：そこからコメントも注文も届きません。AnchorDesk は問い合わせを続けます。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The %1 feed answers again.</source>
        <translation>%1 フィードが再び応答しています。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Live on %1 again: the stream goes out.</source>
        <translation>%1 でライブ配信を再開しました：ストリームを送信中です。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Not live yet: %1 has not taken the stream: %2. AnchorDesk keeps trying.</source>
        <translation>まだ配信されていません：%1 がストリームを受け付けていません：%2。AnchorDesk は試し続けます。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not live yet: %1 has not taken the stream. AnchorDesk keeps trying.</source>
        <translation>まだ配信されていません：%1 がストリームを受け付けていません。AnchorDesk は試し続けます。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The stream to %1 stopped: %2. AnchorDesk keeps trying.</source>
        <translation>%1 へのストリームが途切れました：%2。AnchorDesk は試し続けます。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The stream to %1 stopped. AnchorDesk keeps trying.</source>
        <translation>%1 へのストリームが途切れました。AnchorDesk は試し続けます。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Recording again into %1: its disk has room again. The part of the show while it was full is not recorded.</source>
        <translation>%1 への録画を再開しました：ディスクに空きができました。ディスクが満杯だった間の配信は録画されていません。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The recording has stopped: only %1 is left on its disk. What was recorded is kept; the show goes on. The recording goes on in a new file as soon as there is space again.</source>
        <translation>録画が止まりました：ディスクの空きが %1 しかありません。録画済みの分は残り、配信は続きます。空きができしだい、新しいファイルに録画を続けます。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The recording has stopped: %1. It goes on in a new file as soon as there is space again.</source>
        <translation>録画が止まりました：%1。空きができしだい、新しいファイルに録画を続けます。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The recording has stopped: only %1 is left on its disk. What was recorded is kept; the show goes on. Free some space, then press Record again.</source>
        <translation>録画を停止しました：ディスクの空きが %1 しかありません。録画済みの部分は残っており、番組は続いています。空き容量を確保してから、もう一度「録画」を押してください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The recording has stopped: %1</source>
        <translation>録画を停止しました：%1</translation>
    </message>
    <message numerus="yes">
        <location line="+111"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>この番組の商品は %Ln 点です。商品 %1 はありません。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+142"/>
        <source>The settings could not be saved: %1. They apply to this run only.</source>
        <translation>設定を保存できませんでした：%1。この設定は今回の実行中だけ有効です。</translation>
    </message>
    <message>
        <location line="+233"/>
        <source>%1 does not answer (a network disk whose server went away?): it was not opened. The current show goes on.</source>
        <translation>%1 が応答しません（サーバーが落ちたネットワークディスク？）。開きませんでした。現在の番組は続きます。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1 was not opened: the stream went live while it was read. The live show goes on; open it again after the stream.</source>
        <translation>%1 は開かれませんでした：読み込み中にライブ配信が始まりました。配信中の番組はそのまま続きます。配信が終わってからもう一度開いてください。</translation>
    </message>
    <message>
        <source>No question to pin yet.</source>
        <translation type="vanished">固定できる質問はまだありません。</translation>
    </message>
    <message>
        <source>The session has ended: rehearse again or go live.</source>
        <translation type="vanished">このセッションは終了しました。もう一度リハーサルするか配信を開始してください。</translation>
    </message>
    <message>
        <source>No deal is running.</source>
        <translation type="vanished">実施中のタイムセールはありません。</translation>
    </message>
    <message>
        <source>Take works in studio mode: nothing is staged.</source>
        <translation type="vanished">「切り替え」はスタジオモードで使えます。待機中のものはありません。</translation>
    </message>
    <message>
        <source>Staging needs studio mode: switch it on first.</source>
        <translation type="vanished">待機させるにはスタジオモードが必要です。先にオンにしてください。</translation>
    </message>
    <message>
        <source>No session is running.</source>
        <translation type="vanished">実行中のセッションはありません。</translation>
    </message>
    <message>
        <source>This is the last segment: there is no next one.</source>
        <translation type="vanished">最後のコーナーです。次のコーナーはありません。</translation>
    </message>
    <message>
        <source>This is the first segment: there is no previous one.</source>
        <translation type="vanished">最初のコーナーです。前のコーナーはありません。</translation>
    </message>
    <message>
        <source>This show has %1 products: there is no product %2.</source>
        <translation type="vanished">この番組の商品は %1 点です。商品 %2 はありません。</translation>
    </message>
    <message>
        <location line="-384"/>
        <source>The deal price is not a number.</source>
        <translation>セール価格が数値ではありません。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Put a product on screen to start a deal.</source>
        <translation>セールを始めるには商品を画面に出してください。</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>Going live on %1…</source>
        <translation>%1 へのライブ配信を開始しています…</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Could not go live: %1</source>
        <translation>配信を開始できません：%1</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The stream has stopped; the live session is closed.</source>
        <translation>配信を停止しました。ライブのセッションは終了しました。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>A new rehearsal has started.</source>
        <translation>新しいリハーサルを始めました。</translation>
    </message>
    <message>
        <location line="-411"/>
        <source>Live on %1</source>
        <translation>%1 でライブ配信中</translation>
    </message>
    <message>
        <location line="+497"/>
        <source>Settings changed: the picture restarts.</source>
        <translation>設定が変更されたため、映像を再起動します。</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/crash.py" line="+85"/>
        <source>AnchorDesk: unexpected error</source>
        <translation>AnchorDesk: 予期しないエラー</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Something went wrong inside AnchorDesk. The picture, the recording and the stream go on; the part of the window that failed may not have updated.</source>
        <translation>AnchorDesk の内部でエラーが発生しました。映像・録画・配信は続いています。エラーの起きたウィンドウの部分は更新されていないかもしれません。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>no log file (it could not be written)</source>
        <translation>ログファイルなし（書き込めませんでした）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The log, to send with a bug report: {path}</source>
        <translation>ログ（不具合報告に添付してください）: {path}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Copy details</source>
        <translation>詳細をコピー</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Open log folder</source>
        <translation>ログフォルダーを開く</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Quit</source>
        <translation>終了</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep running</source>
        <translation>実行を続ける</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Copied</source>
        <translation>コピーしました</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} more errors since; they are in the log.</source>
        <translation>その後さらに {count} 件のエラーがあり、ログに記録されています。</translation>
    </message>
</context>
<context>
    <name>CsvImport</name>
    <message>
        <location filename="../src/anchordesk/showfile/csv_import.py" line="+61"/>
        <source>a CSV file</source>
        <translation>CSV ファイル</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>row {row}, column {column}</source>
        <translation>{row} 行目の {column} 列</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>row {row}</source>
        <translation>{row} 行目</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>file</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>not {encoding} text (byte {byte} at offset {offset}); save the spreadsheet as &apos;CSV UTF-8&apos;</source>
        <translation>{encoding} のテキストではありません（オフセット {offset} のバイト {byte}）。表を「CSV UTF-8」形式で保存し直してください</translation>
    </message>
    <message>
        <location line="-120"/>
        <source>not UTF-8: read as GB18030 (Chinese Windows); check the titles, and prefer saving as &apos;CSV UTF-8&apos;</source>
        <translation>UTF-8 ではないため GB18030（中国語版 Windows）として読みました。タイトルを確認し、できれば「CSV UTF-8」形式で保存してください</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>not UTF-8: read as Shift_JIS (Japanese Windows); check the titles, and prefer saving as &apos;CSV UTF-8&apos;</source>
        <translation>UTF-8 ではないため Shift_JIS（日本語版 Windows）として読みました。タイトルを確認し、できれば「CSV UTF-8」形式で保存してください</translation>
    </message>
    <message>
        <location line="+222"/>
        <source>{value} is written with more than {limit} characters: write it shorter</source>
        <translation>{value} は {limit} 文字を超えて書かれています。短く書いてください</translation>
    </message>
    <message>
        <location line="+95"/>
        <source>{path} is larger than {limit} MB</source>
        <translation>{path} は {limit} MB を超えています</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>the CSV is empty</source>
        <translation>CSV が空です</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>more than {limit} product rows; a show holds at most {limit} products: import the products of one show</source>
        <translation>商品の行が {limit} 行を超えています。1 回の配信の商品は最大 {limit} 件です：この配信の商品だけを取り込んでください</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>a cell is longer than {limit} characters: no field of a product is that long</source>
        <translation>{limit} 文字を超えるセルがあります。商品の項目にこれほど長いものはありません</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>unreadable CSV: {reason}</source>
        <translation>CSV を読み取れません：{reason}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>unknown column {name} (ignored); the columns are {known}</source>
        <translation>不明な列 {name}（無視します）。使える列は {known} です</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>column {name} appears twice</source>
        <translation>列 {name} が 2 回あります</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} more unknown columns (ignored)</source>
        <translation>ほかに不明な列が {count} 個あります（無視します）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>the header lacks the columns {missing} (found: {found})</source>
        <translation>見出し行に列 {missing} がありません（あった列：{found}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the header lacks the column {missing} (found: {found})</source>
        <translation>見出し行に列 {missing} がありません（あった列：{found}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>nothing</source>
        <translation>なし</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>{cells} cells, but the header names {columns} columns: the cells after the last one are not read (is a separator inside a cell that is not in quotes?)</source>
        <translation>セルが {cells} 個ありますが、見出しの列は {columns} 列です：最後の列より後のセルは読み込まれません（引用符で囲まれていないセルに区切り文字が入っていませんか？）</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>{count} more rows with cells past the header&apos;s last column</source>
        <translation>ほかに {count} 行で、見出しの最後の列より後にセルがあります</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>the CSV has a header but no products</source>
        <translation>CSV に見出し行はありますが、商品がありません</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>empty</source>
        <translation>空です</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>{value} has too many decimals for a price</source>
        <translation>{value} は小数の桁数が多すぎて価格になりません</translation>
    </message>
    <message>
        <source>{value} is out of range: a price is a number from 0 to {limit}</source>
        <translation type="vanished">{value} は範囲外です。価格は 0〜{limit} の数値です</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>not a number: {value}</source>
        <translation>数値ではありません：{value}</translation>
    </message>
    <message>
        <source>{value} is out of range: stock is a whole number from 0 to {limit}</source>
        <translation type="vanished">{value} は範囲外です。在庫は 0〜{limit} の整数です</translation>
    </message>
    <message>
        <location line="-488"/>
        <location line="+510"/>
        <source>not a whole number: {value}</source>
        <translation>整数ではありません：{value}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>{value} is written with {sign}, which is not a sign of {currency}: write the price without it, or give the row its currency</source>
        <translation>{value} には記号 {sign} が付いていますが、これは {currency} の記号ではありません：記号を付けずに価格を書くか、その行に通貨を指定してください</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{value} is written with {sign}, and other rows with signs of other currencies: add a currency column</source>
        <translation>{value} には記号 {sign} が付いていますが、ほかの行には別の通貨の記号があります：通貨の列を追加してください</translation>
    </message>
</context>
<context>
    <name>DestinationsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/destinations_page.py" line="+183"/>
        <location line="+36"/>
        <source>Destinations</source>
        <translation>配信先</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>&amp;Go live to:</source>
        <translation>配信先の選択(&amp;G)：</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+206"/>
        <source>Rehearsal — nothing is pushed</source>
        <translation>リハーサル — 配信しません</translation>
    </message>
    <message>
        <location line="-205"/>
        <source>A&amp;dd</source>
        <translation>追加(&amp;D)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Remove</source>
        <translation>削除(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Destination</source>
        <translation>配信先</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Name:</source>
        <translation>名前(&amp;N)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Platform:</source>
        <translation>プラットフォーム(&amp;P)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Server:</source>
        <translation>サーバー(&amp;S)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream &amp;key:</source>
        <translation>ストリームキー(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use the platform&apos;s recommended encoder</source>
        <translation>プラットフォーム推奨のエンコード設定を使う</translation>
    </message>
    <message>
        <location line="+215"/>
        <source>Recommended for %1: %2 kbps at %3p%4 (at most %5 kbps), a keyframe every %6 s, up to %7×%8 at %9 fps.</source>
        <translation>%1 の推奨：%3p%4 で %2 kbps（最大 %5 kbps）、キーフレーム間隔 %6 秒、最大 %7×%8・%9 fps。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No platform limits are known for a custom server.</source>
        <translation>カスタムサーバーには既知のプラットフォーム制限がありません。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The encoder settings exceed this platform&apos;s guidance:</source>
        <translation>エンコーダー設定がこのプラットフォームの推奨を超えています：</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>This looks like a stream key: put it in the Stream key field.</source>
        <translation>これはストリームキーのようです：「ストリームキー」欄に入力してください。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 gives a server URL with each broadcast: paste it here.</source>
        <translation>%1 は配信ごとにサーバー URL を発行します。ここに貼り付けてください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The server&apos;s name in the URL is not a valid host name: each part between two dots has 1 to 63 characters.</source>
        <translation>URL のサーバー名は有効なホスト名ではありません。ドットとドットの間の各部分は 1～63 文字です。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The port in the server URL must be a number from 1 to 65535.</source>
        <translation>サーバー URL のポートは 1 から 65535 までの数字でなければなりません。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 accepts RTMPS only (rtmps://…).</source>
        <translation>%1 は RTMPS（rtmps://…）のみ対応です。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server URL must start with rtmp:// or rtmps:// and name a host.</source>
        <translation>サーバー URL は rtmp:// または rtmps:// で始まり、ホスト名を含む必要があります。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Stream key (push code) given with the server URL</source>
        <translation>サーバー URL と一緒に発行されるストリームキー</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paste the stream key from the platform</source>
        <translation>プラットフォームのストリームキーを貼り付け</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream key</source>
        <translation>ストリームキー</translation>
    </message>
</context>
<context>
    <name>DevicesPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/devices_page.py" line="+109"/>
        <source>Devices</source>
        <translation>デバイス</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>&amp;Camera:</source>
        <translation>カメラ(&amp;C)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Automatic (first camera, else test pattern)</source>
        <translation>自動（最初のカメラ、なければテストパターン）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test pattern</source>
        <translation>テストパターン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Video file…</source>
        <translation>動画ファイル(&amp;V)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Preview:</source>
        <translation>プレビュー：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Camera preview</source>
        <translation>カメラのプレビュー</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Preview</source>
        <translation>プレビュー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Microphone:</source>
        <translation>マイク(&amp;M)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default microphone</source>
        <translation>既定のマイク</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test tone</source>
        <translation>テストトーン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audio</source>
        <translation>音声なし</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Level:</source>
        <translation>音量：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone level</source>
        <translation>マイク音量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The microphone&apos;s loudest sound, live</source>
        <translation>マイクのリアルタイムの最大音量</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>No camera was found; the preview shows the test pattern.</source>
        <translation>カメラが見つかりません。プレビューにはテストパターンを表示しています。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>“%1” could not be opened; the preview shows the test pattern.</source>
        <translation>「%1」を開けません。プレビューにはテストパターンを表示しています。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Video file as camera</source>
        <translation>動画ファイルをカメラとして使う</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Videos (*.mp4 *.mkv *.mov *.webm *.avi);;All files (*)</source>
        <translation>動画 (*.mp4 *.mkv *.mov *.webm *.avi);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>The microphone could not be opened: %1</source>
        <translation>マイクを開けません：%1</translation>
    </message>
</context>
<context>
    <name>Disk</name>
    <message>
        <location filename="../src/anchordesk/core/disk.py" line="+65"/>
        <source>the disk holding {path} is full</source>
        <extracomment>The exit code of a run that went on after a writer failed (2 stays a user&apos;s mistake, 1 a run that could not go on at all).</extracomment>
        <translation>{path} を保存しているディスクがいっぱいです</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the disk holding {path} is read-only</source>
        <translation>{path} を保存しているディスクは読み取り専用です</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{path} may not be written here (permission denied)</source>
        <translation>{path} はここに書き込めません（アクセスが拒否されました）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the program reading {path} stopped reading it</source>
        <translation>{path} を読んでいたプログラムが読み取りをやめました</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+33"/>
        <source>{path} cannot be written ({detail})</source>
        <translation>{path} に書き込めません（{detail}）</translation>
    </message>
    <message>
        <location line="-16"/>
        <source>{path} reached the largest file this disk or this program&apos;s limits allow (a FAT32 disk holds at most 4 GB a file)</source>
        <translation>{path} はこのディスクまたはこのプログラムの制限で許される最大のファイルサイズに達しました（FAT32 ディスクは 1 ファイル 4 GB まで）</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>File name too long</source>
        <translation>ファイル名が長すぎます</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such file or directory</source>
        <translation>そのようなファイルやフォルダーはありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not a directory</source>
        <translation>フォルダーではありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Is a directory</source>
        <translation>フォルダーです</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many levels of symbolic links</source>
        <translation>シンボリックリンクの階層が多すぎます</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Input/output error</source>
        <translation>入出力エラー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such device or address</source>
        <translation>そのようなデバイスやアドレスはありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No such device</source>
        <translation>そのようなデバイスはありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text file busy</source>
        <translation>ファイルが使用中です</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Device or resource busy</source>
        <translation>デバイスまたはリソースが使用中です</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many open files</source>
        <translation>開いているファイルが多すぎます</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many open files in system</source>
        <translation>システム全体で開いているファイルが多すぎます</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale file handle</source>
        <translation>ファイルハンドルが無効になっています</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Transport endpoint is not connected</source>
        <translation>トランスポートエンドポイントが接続されていません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File exists</source>
        <translation>ファイルが既に存在します</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/disk_space.py" line="+69"/>
        <source>the disk holding {path} has less than {size} free</source>
        <extracomment>What a recording leaves free on its disk: about 25 minutes of it, room for the session files and the system. A disk smaller than 20 times this keeps a twentieth of its size free.</extracomment>
        <translation>{path} を保存しているディスクの空きが {size} 未満です</translation>
    </message>
</context>
<context>
    <name>EncoderPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/encoder_page.py" line="+78"/>
        <source>Encoder</source>
        <translation>エンコーダー</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>x264 (software)</source>
        <translation>x264（ソフトウェア）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Automatic (hardware if available)</source>
        <translation>自動（可能ならハードウェア）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Encoder:</source>
        <translation>エンコーダー(&amp;E)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ca&amp;nvas:</source>
        <translation>キャンバス(&amp;N)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Frame rate (fps):</source>
        <translation>フレームレート（fps）(&amp;F)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Video bitrate (kbps):</source>
        <translation>映像ビットレート（kbps）(&amp;V)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Audio bitrate (kbps):</source>
        <translation>音声ビットレート（kbps）(&amp;A)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Keyframe interval (s):</source>
        <translation>キーフレーム間隔（秒）(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recordings fol&amp;der:</source>
        <translation>録画フォルダー(&amp;D)：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Record a local copy</source>
        <translation>ローカルにも録画する(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The Videos folder</source>
        <translation>「ビデオ」フォルダー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Browse…</source>
        <translation>参照(&amp;B)…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Folder for recordings</source>
        <translation>録画の保存先フォルダー</translation>
    </message>
</context>
<context>
    <name>FeedFaults</name>
    <message>
        <location filename="../src/anchordesk/feeds/poller.py" line="+493"/>
        <source>the server&apos;s certificate is not trusted ({why})</source>
        <extracomment>The largest response body read (decoded). A 2000-message YouTube page is ~1 MB and a full Shopify page of 250 orders ~2.5 MB; a bigger body is not a page but a fault or an attack (a 150 MB page once took 860 MB of memory and the picture down to 5 fps). A body in more pieces than this (the chunks of a chunked body, the network&apos;s reads) is not read further: each costs the loop ~10 µs in h11 and httpx, so 2 MB sent as 1-byte chunks held the feeds&apos; loop (the window&apos;s thread) 21 s and took 270 MB, on every poll. A real server&apos;s page arrives in tens to thousands. The whole response (connect, headers, body) must arrive within this many request timeouts. This machine&apos;s own hosts: never asked through a proxy from the environment, as browsers do (the proxy cannot reach this machine&apos;s loopback). Every door of the feeds keeps it: the HTTP client (hub._environment_mounts) and Twitch&apos;s EventSub WebSocket (``goes_direct``). Records (orders) an adapter remembers having read in one window, for ``read_new_records``: past this many, pages read as no progress, so a server inventing records cannot keep the feed asking at once for ever (1,000 GraphQL pages, 400 REST pages). A request&apos;s query: names and values, or pairs when a name comes more than once (``?types[]=order&amp;types[]=comment``; a dict kept the last one only).</extracomment>
        <translation>サーバーの証明書は信頼されていません（{why}）</translation>
    </message>
</context>
<context>
    <name>FeedHub</name>
    <message>
        <location filename="../src/anchordesk/feeds/hub.py" line="+236"/>
        <source>the certificates cannot be loaded: {name} names {path}, which does not exist (fix or unset it)</source>
        <extracomment>{name} is SSL_CERT_FILE or SSL_CERT_DIR, {path} the file or folder it names</extracomment>
        <translation>証明書を読み込めません：{name} が指す {path} は存在しません（修正するか設定を外してください）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{error} ({kind})</source>
        <translation>{error}（{kind}）</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>the proxy {name} names ({proxy}) has a space or a line break in it: remove it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value</extracomment>
        <translation>{name} が指定するプロキシ（{proxy}）に空白か改行が含まれています。取り除いてください</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the proxy {name} names ({proxy}) cannot be used: {error}; fix or unset it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value, {error} why (English)</extracomment>
        <translation>{name} が指定するプロキシ（{proxy}）は使えません：{error}。修正するか設定を解除してください</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>the proxy {name} names ({proxy}) is not an http:// or https:// address: fix or unset it</source>
        <extracomment>{name} is e.g. HTTPS_PROXY, {proxy} its value</extracomment>
        <translation>{name} が指定するプロキシ（{proxy}）は http:// または https:// のアドレスではありません。修正するか設定を解除してください</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the proxy {name} names ({proxy}) is a SOCKS proxy, which AnchorDesk cannot use: name an HTTP proxy there, or unset it</source>
        <extracomment>{name} is e.g. ALL_PROXY, {proxy} its value</extracomment>
        <translation>{name} が指定するプロキシ（{proxy}）は SOCKS プロキシで、AnchorDesk では使えません。HTTP プロキシを指定するか、設定を解除してください</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>{name} holds an entry that is no host name or address ({entry}): fix or remove it</source>
        <extracomment>{name} is NO_PROXY or no_proxy, {entry} the entry that cannot be read</extracomment>
        <translation>{name} にホスト名でもアドレスでもない項目があります（{entry}）。修正するか削除してください</translation>
    </message>
</context>
<context>
    <name>FeedKinds</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/feeds_page.py" line="+53"/>
        <source>YouTube chat</source>
        <translation>YouTube チャット</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shopify orders</source>
        <translation>Shopify 注文</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Twitch chat</source>
        <translation>Twitch チャット</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>JSON feed (comments and orders)</source>
        <translation>JSON フィード（コメントと注文）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Simulated audience (rehearsal)</source>
        <translation>模擬視聴者（リハーサル）</translation>
    </message>
</context>
<context>
    <name>FeedUrl</name>
    <message>
        <location filename="../src/anchordesk/feeds/spec.py" line="+47"/>
        <source>a URL is needed</source>
        <translation>URL が必要です</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL must start with wss:// (or ws://)</source>
        <translation>URL は wss://（または ws://）で始めてください</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL must start with http:// or https://</source>
        <translation>URL は http:// または https:// で始めてください</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the URL names no server after //</source>
        <translation>URL の // の後にサーバー名がありません</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the URL holds a byte that is not UTF-8 text (copied from a file in another encoding?)</source>
        <translation>URL に UTF-8 のテキストではないバイトが含まれています（別のエンコーディングのファイルからコピーしましたか？）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the port {value} is not a number from 1 to 65535</source>
        <translation>ポート {value} は 1～65535 の数字ではありません</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>the token is sent unencrypted (no https://): anyone on the network between can read it; use https:// if the server offers it</source>
        <translation>トークンは暗号化されずに送られます（https:// ではありません）。途中のネットワークの誰でも読み取れます。サーバーが対応していれば https:// を使ってください</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>an IPv6 address in a URL is written in [brackets]</source>
        <translation>URL 内の IPv6 アドレスは角かっこ [ ] で囲んで書きます</translation>
    </message>
    <message>
        <location line="-40"/>
        <source>the URL holds a control character at character {value}</source>
        <translation>URL の {value} 文字目に制御文字があります</translation>
    </message>
    <message>
        <location line="-49"/>
        <source>{value} is not an IP address</source>
        <translation>{value} は有効な IP アドレスではありません</translation>
    </message>
    <message>
        <location line="+99"/>
        <source>the server name {value} is not a valid domain name</source>
        <translation>サーバー名 {value} は有効なドメイン名ではありません</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the URL is too long</source>
        <translation>URL が長すぎます</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not a usable URL ({reason})</source>
        <translation>使えない URL です（{reason}）</translation>
    </message>
</context>
<context>
    <name>FeedsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/feeds_page.py" line="+69"/>
        <location line="+68"/>
        <source>Feeds</source>
        <translation>フィード</translation>
    </message>
    <message>
        <location line="-46"/>
        <source>Feed %1: %2</source>
        <translation>フィード %1：%2</translation>
    </message>
    <message>
        <source>Feed %1: the URL must start with wss:// (or ws://).</source>
        <translation type="vanished">フィード %1：URL は wss://（または ws://）で始まる必要があります。</translation>
    </message>
    <message>
        <source>Feed %1: the URL must start with http:// or https://.</source>
        <translation type="vanished">フィード %1：URL は http:// または https:// で始まる必要があります。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The token is in the URL&apos;s path: put it in the Token field and keep ;token= with nothing after it.</source>
        <translation>トークンが URL のパスにあります。「トークン」欄に入れ、;token= は後ろに何も付けずに残してください。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The URL holds a token or a password: put the token in the Token field, and keep the URL without it.</source>
        <translation>URL にトークンかパスワードが含まれています。トークンは「トークン」欄に入れ、URL からは外してください。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>A&amp;dd</source>
        <translation>追加(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove</source>
        <translation>削除(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Feed</source>
        <translation>フィード</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Kind:</source>
        <translation>種類(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;URL:</source>
        <translation>URL(&amp;U)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Token:</source>
        <translation>トークン(&amp;T)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Enabled</source>
        <translation>有効(&amp;E)</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+26"/>
        <source>Access token</source>
        <translation>アクセストークン</translation>
    </message>
    <message>
        <location line="-25"/>
        <location line="+26"/>
        <source>Token, if the feed needs one</source>
        <translation>トークン（フィードで必要な場合）</translation>
    </message>
</context>
<context>
    <name>FileDialogs</name>
    <message>
        <location filename="../src/anchordesk/ui/file_dialogs.py" line="+105"/>
        <source>Drive</source>
        <extracomment>How long a typed file&apos;s disk may take to say what the name is (a local disk: microseconds; a network share whose server went away: for ever).</extracomment>
        <translation>ドライブ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Folder</source>
        <translation>フォルダー</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Special file</source>
        <translation>特殊ファイル</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location line="+178"/>
        <source>%1 is a file, not a folder. Choose a folder.</source>
        <translation>%1 はフォルダーではなくファイルです。フォルダーを選んでください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 does not exist. Check the name and its folder.</source>
        <translation>%1 は存在しません。名前とフォルダーを確認してください。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 cannot be read: %2</source>
        <translation>%1 を読み込めません：%2</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+89"/>
        <source>%1 does not answer (a network disk whose server went away?). Choose one on another disk.</source>
        <translation>%1 が応答しません（サーバーが落ちたネットワークディスク？）。別のディスクのものを選んでください。</translation>
    </message>
    <message>
        <location line="-77"/>
        <source>%1 already exists. Do you want to replace it?</source>
        <translation>%1 は既に存在します。置き換えますか？</translation>
    </message>
</context>
<context>
    <name>FramePreview</name>
    <message>
        <location filename="../src/anchordesk/ui/preview.py" line="+143"/>
        <source>No picture yet</source>
        <translation>まだ映像がありません</translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/general_page.py" line="+34"/>
        <source>General</source>
        <translation>一般</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;Language:</source>
        <translation>言語(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System language</source>
        <translation>システムの言語</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream keys:</source>
        <translation>ストリームキー：</translation>
    </message>
</context>
<context>
    <name>GoLiveDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/golive.py" line="+214"/>
        <location line="+12"/>
        <location line="+1"/>
        <source>Go live</source>
        <translation>配信開始</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>&amp;Destination</source>
        <translation>配信先(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Destination</source>
        <translation>配信先</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Record a local copy</source>
        <translation>ローカルにも録画する(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record a local copy</source>
        <translation>ローカルにも録画する</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>C&amp;ontinue the run sheet from the current segment</source>
        <translation>現在のセグメントから進行表を続ける(&amp;O)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Continue the run sheet from the current segment</source>
        <translation>現在のコーナーから進行表を続ける</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pre-flight checks</source>
        <translation>配信前チェック</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Check &amp;again</source>
        <translation>再チェック(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter the stream &amp;key…</source>
        <translation>ストリームキーを入力(&amp;K)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No destination is set up. Add one in Settings, or keep rehearsing.</source>
        <translation>配信先が未設定です。設定で追加するか、リハーサルを続けてください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Camera</source>
        <translation>カメラ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone</source>
        <translation>マイク</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Encoder</source>
        <translation>エンコーダー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream key</source>
        <translation>ストリームキー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Destination reachable</source>
        <translation>配信先に接続可能</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show compliance</source>
        <translation>番組のコンプライアンス</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recording</source>
        <translation>録画</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>no server is named %1: check the server URL</source>
        <translation>%1 という名前のサーバーは見つかりません。サーバー URL を確認してください</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the name %1 could not be looked up: is this computer online?</source>
        <translation>%1 の名前を解決できません。このコンピューターはネットにつながっていますか？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 refused the connection: the server is down or the port is wrong</source>
        <translation>%1 に接続を拒否されました。サーバーが止まっているか、ポートが違います</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no answer from %1 within %2 s</source>
        <translation>%1 から %2 秒以内に応答がありません</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no network route to %1: is this computer online?</source>
        <translation>%1 へのネットワーク経路がありません。このコンピューターはネットにつながっていますか？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 answered, but the secure connection (TLS) failed: is it an rtmps:// server?</source>
        <translation>%1 は応答しましたが、安全な接続（TLS）に失敗しました。rtmps:// のサーバーですか？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 took the connection but did not answer the secure (TLS) handshake within %2 s: is it an rtmps:// server?</source>
        <translation>%1 は接続を受け付けましたが、%2 秒以内に安全な接続（TLS）のハンドシェイクに応答しませんでした。rtmps:// のサーバーですか？</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1 could not be reached (the log says why)</source>
        <translation>%1 に接続できません（理由はログにあります）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the test pattern is chosen in Settings: viewers would see colour bars</source>
        <translation>設定でテストパターンが選ばれています：視聴者にはカラーバーが映ります</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the camera %1 chosen in Settings cannot be opened: viewers would see the test pattern</source>
        <translation>設定で選んだカメラ %1 を開けません：視聴者にはテストパターンが映ります</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no camera was found: viewers would see the test pattern</source>
        <translation>カメラが見つかりません：視聴者にはテストパターンが映ります</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 is not sending pictures</source>
        <translation>%1 から映像が来ていません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the camera</source>
        <translation>カメラ</translation>
    </message>
    <message numerus="yes">
        <location line="+11"/>
        <source>%Ln word(s) to avoid on air:</source>
        <translation>
            <numerusform>配信で避けるべき語が %Ln 件：</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 word(s) to avoid on air:</source>
        <translation type="vanished">配信で避けるべき語が %1 件：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no banned or absolute terms</source>
        <translation>禁止語・断定表現なし</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>its disk has only %1 free: the live show is not recorded until there is room</source>
        <translation>ディスクの空きが %1 しかありません：空きができるまでライブ配信は録画されません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the rehearsal&apos;s recording stopped: %1. The live show is not recorded until that is solved</source>
        <translation>リハーサルの録画が止まりました：%1。解決するまでライブ配信は録画されません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Test pattern</source>
        <translation>テストパターン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test tone</source>
        <translation>テストトーン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audio</source>
        <translation>音声なし</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default microphone</source>
        <translation>既定のマイク</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: no sound comes in</source>
        <translation>%1：音声が入っていません</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the test tone is chosen in Settings: viewers would hear a beep, not you</source>
        <translation>設定でテストトーンが選ばれています：視聴者にはあなたの声ではなくビープ音が聞こえます</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the microphone %1 chosen in Settings cannot be opened: viewers would hear the test tone</source>
        <translation>設定で選んだマイク %1 を開けません：視聴者にはテストトーンが聞こえます</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no microphone was found: viewers would hear the test tone</source>
        <translation>マイクが見つかりません：視聴者にはテストトーンが聞こえます</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 is muted</source>
        <translation>%1 はミュート中です</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 is silent: speak to check that it picks you up</source>
        <translation>%1 が無音です：話しかけて音を拾うか確認してください</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1, level %2 dB</source>
        <translation>%1、音量 %2 dB</translation>
    </message>
    <message>
        <location line="-175"/>
        <location line="+1"/>
        <source>no destination</source>
        <translation>配信先なし</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server URL names no host</source>
        <translation>サーバー URL にホスト名がありません</translation>
    </message>
</context>
<context>
    <name>HealthPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/health.py" line="-165"/>
        <location line="+1"/>
        <source>Reconnect now</source>
        <translation>今すぐ再接続</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bitrate over the last minute</source>
        <translation>直近 1 分間のビットレート</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Frame rate</source>
        <translation>フレームレート</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recording</source>
        <translation>録画</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dropped frames</source>
        <translation>ドロップフレーム</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Rehearsal: nothing is pushed</source>
        <translation>リハーサル中：配信しません</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Live</source>
        <translation>ライブ配信中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connecting…</source>
        <translation>接続中…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reconnecting (attempt %1)</source>
        <translation>再接続中（%1 回目）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>next try in %1 s</source>
        <translation>%1 秒後に再試行</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Failed</source>
        <translation>失敗</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stopped</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1 free</source>
        <translation>空き %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>capture</source>
        <translation>取り込み</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>render</source>
        <translation>描画</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>encode</source>
        <translation>エンコード</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network</source>
        <translation>ネットワーク</translation>
    </message>
</context>
<context>
    <name>HotkeyDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/hotkeys.py" line="+240"/>
        <location line="+1"/>
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Shortcuts</source>
        <translation>ショートカット</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Command</source>
        <translation>コマンド</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Shortcut</source>
        <translation>ショートカット</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>“%1” and “%2” have the same shortcut.</source>
        <translation>「%1」と「%2」のショートカットが重複しています。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The shortcuts were not saved: another program is writing the window&apos;s settings file. Try again in a moment.</source>
        <translation>ショートカットは保存されませんでした。別のプログラムがウィンドウの設定ファイルに書き込み中です。少し待ってからもう一度お試しください。</translation>
    </message>
</context>
<context>
    <name>Hotkeys</name>
    <message>
        <location line="-260"/>
        <source>Put product %1 on screen</source>
        <translation>商品 %1 を画面に表示</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Next segment</source>
        <translation>次のコーナー(&amp;N)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Previous segment</source>
        <translation>前のコーナー(&amp;P)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Take the product &amp;off screen</source>
        <translation>商品を画面から外す(&amp;O)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Start or stop the flash &amp;deal</source>
        <translation>タイムセールを開始／停止(&amp;D)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>P&amp;in the selected comment</source>
        <translation>選択したコメントを固定(&amp;I)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Unpin the comment</source>
        <translation>コメントの固定を解除(&amp;U)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Take the staged card</source>
        <translation>待機中のカードを切り替え(&amp;T)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Go live / stop</source>
        <translation>配信開始／停止(&amp;G)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Show the &amp;teleprompter</source>
        <translation>プロンプターを表示(&amp;T)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Pin the &amp;latest question</source>
        <translation>最新の質問を固定(&amp;L)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Mark the question &amp;answered</source>
        <translation>質問を回答済みにする(&amp;A)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Studio mode</source>
        <translation>スタジオモード(&amp;S)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;End rehearsal</source>
        <translation>リハーサル終了(&amp;E)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Record</source>
        <translation>録画(&amp;R)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Searc&amp;h the comments</source>
        <translation>コメントを検索(&amp;H)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Messages of this run…</source>
        <translation>今回のメッセージ(&amp;M)…</translation>
    </message>
</context>
<context>
    <name>JsonKinds</name>
    <message>
        <location filename="../src/anchordesk/core/json_kinds.py" line="+11"/>
        <source>an object</source>
        <translation>オブジェクト</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list</source>
        <translation>リスト</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a text</source>
        <translation>テキスト</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a number</source>
        <translation>数値</translation>
    </message>
</context>
<context>
    <name>Keyring</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/keyring_text.py" line="+19"/>
        <source>Stream keys and tokens are kept in the system keyring.</source>
        <translation>ストリームキーとトークンはシステムのキーリングに保存されます。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No system keyring was found on this computer, so stream keys and tokens are kept for this run only: after AnchorDesk closes they must be typed again. To keep them, install a keyring (GNOME Keyring or KWallet on Linux; macOS and Windows have one) and restart AnchorDesk.</source>
        <translation>このコンピューターにはシステムのキーリングがないため、ストリームキーとトークンは今回の起動中だけ保持されます：AnchorDesk を閉じると再入力が必要です。保存するには、キーリングをインストール（Linux なら GNOME Keyring か KWallet。macOS と Windows には標準であります）して AnchorDesk を再起動してください。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The system keyring did not answer or refused access (it may be locked), so stream keys and tokens are kept for this run only: after AnchorDesk closes they must be typed again. Unlock the keyring and restart AnchorDesk to keep them.</source>
        <translation>システムのキーリングが応答しないかアクセスを拒否しました（ロック中かもしれません）。ストリームキーとトークンは今回の起動中だけ保持され、AnchorDesk を閉じると再入力が必要です。保存するには、キーリングのロックを解除して AnchorDesk を再起動してください。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>missing: no system keyring on this computer, so keys last one run only. Type it again in Settings (or install a keyring to keep it).</source>
        <translation>未入力：このコンピューターにはシステムのキーリングがないため、キーは 1 回の起動中だけ保持されます。設定で入力し直してください（保存するにはキーリングをインストール）。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>missing: the system keyring did not answer (it may be locked). Unlock it, or type the key again in Settings for this run.</source>
        <translation>未入力：システムのキーリングが応答しません（ロック中かもしれません）。ロックを解除するか、設定で今回用のキーを入力し直してください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>missing: no key is saved for this destination. Type it in Settings.</source>
        <translation>未入力：この配信先にはキーが保存されていません。設定で入力してください。</translation>
    </message>
</context>
<context>
    <name>LiveShow</name>
    <message>
        <location filename="../src/anchordesk/live/show.py" line="+119"/>
        <source>no product card is on air: there is nothing to take off</source>
        <translation>放送中の商品カードがないため、下げるものはありません</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no comment is pinned</source>
        <translation>固定中のコメントはありません</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>that comment has no text to show: there is nothing to pin</source>
        <translation>そのコメントには表示する文字がないため、固定するものはありません</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>nothing is being streamed: there is nothing to reconnect</source>
        <translation>配信していないため、再接続するものはありません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>nothing is staged that is not on air already</source>
        <translation>放送中のもの以外にスタンバイ中のものはありません</translation>
    </message>
    <message>
        <location line="+124"/>
        <source>a session is still running: end it first</source>
        <extracomment>What closing the window may take (of the 2 s a stop may take, as ``anchordesk live``&apos;s STOP_BUDGET_S): the recording&apos;s trailer and the session&apos;s file are finished within it and a network child that has not finished is killed. The session store&apos;s close is given at least this long (its last orders are worth it). A recordings folder that did not answer when a session&apos;s file was to be made there (a network share whose server went away): that session is not recorded. How long starting a session waits for its recording&apos;s file (None: the folder&apos;s deadline); the recording is attached whenever it comes. The window waits not at all.</extracomment>
        <translation>実行中のセッションがあります。先に終了してください</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>a new session is a rehearsal or a live show</source>
        <translation>新しいセッションはリハーサルかライブ配信のどちらかです</translation>
    </message>
    <message>
        <location line="+274"/>
        <source>this show has no network output to go live on</source>
        <translation>この番組には配信用のネットワーク出力がありません</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>already live</source>
        <translation>すでに配信中です</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>the show is live: stop the stream first</source>
        <translation>配信中です。先に配信を停止してください</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>no show is open</source>
        <translation>番組が開かれていません</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>{title} is the last segment: there is no next one</source>
        <translation>「{title}」は最後のコーナーです：次のコーナーはありません</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{title} is the first segment: there is no previous one</source>
        <translation>「{title}」は最初のコーナーです：前のコーナーはありません</translation>
    </message>
    <message>
        <location line="+24"/>
        <location filename="../src/anchordesk/show/state.py" line="+529"/>
        <source>no product with SKU {sku} in this show</source>
        <translation>この番組に品番 {sku} の商品はありません</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>staging needs studio mode: switch studio mode on first</source>
        <translation>待機させるにはスタジオモードが必要です。先にオンにしてください</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Take works in studio mode: nothing is staged</source>
        <translation>「切り替え」はスタジオモードで使えます。待機中のものはありません</translation>
    </message>
    <message>
        <source>deal price {price}: must be a positive amount</source>
        <translation type="vanished">セール価格 {price}：正の金額にしてください</translation>
    </message>
    <message>
        <source>deal seconds {seconds}: must be positive</source>
        <translation type="vanished">セール秒数 {seconds}：正の数にしてください</translation>
    </message>
    <message>
        <source>deal stock {stock}: must be positive</source>
        <translation type="vanished">セール在庫 {stock}：正の数にしてください</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>{sku} is sold out: no deal can start on it</source>
        <translation>{sku} は完売しています。タイムセールを開始できません</translation>
    </message>
    <message>
        <location line="+16"/>
        <location filename="../src/anchordesk/show/state.py" line="-446"/>
        <source>no live deal to stop</source>
        <translation>実施中のタイムセールはありません</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>no session is running</source>
        <translation>実行中のセッションはありません</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>no comment {key} (it may be too old to pin)</source>
        <translation>コメント {key} が見つかりません（古すぎて固定できない可能性があります）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>that comment is hidden</source>
        <translation>そのコメントは非表示です</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>no question to pin yet</source>
        <translation>固定できる質問はまだありません</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>no comment {key} (it may be too old to hide)</source>
        <translation>コメント {key} が見つかりません（古すぎて非表示にできない可能性があります）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>that comment is hidden already</source>
        <translation>そのコメントはすでに非表示です</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>no prompt {key} on the board</source>
        <translation>ボードにプロンプト {key} はありません</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/show/state.py" line="-28"/>
        <source>the show has no segments in its rundown</source>
        <translation>番組の進行表にセグメントがありません</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the session has ended: rehearse again or go live</source>
        <translation>このセッションは終了しました。もう一度リハーサルするか配信を開始してください</translation>
    </message>
    <message>
        <source>no segment {number}: the rundown has {count}</source>
        <translation type="vanished">セグメント {number} はありません。進行表は全 {count} 個です</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>no live deal on {sku}</source>
        <translation>{sku} に実施中のタイムセールはありません</translation>
    </message>
    <message>
        <location line="-25"/>
        <source>no product on screen to start a deal on</source>
        <translation>タイムセールを始める商品が表示されていません</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>no segment at index {index}: the rundown&apos;s segments are 0 to {last}</source>
        <translation>インデックス {index} のセグメントはありません。進行表のセグメントは 0〜{last} です</translation>
    </message>
    <message>
        <location line="+528"/>
        <source>the show plans no deal for {sku}: give price and seconds</source>
        <translation>番組に {sku} のタイムセールの予定はありません。価格と秒数を指定してください</translation>
    </message>
    <message>
        <source>deal price {price} is not a valid amount</source>
        <translation type="vanished">セール価格 {price} は有効な金額ではありません</translation>
    </message>
    <message>
        <source>deal price {price} must be below the list price {list_price} of {sku}</source>
        <translation type="vanished">セール価格 {price} は {sku} の定価 {list_price} より低くしてください</translation>
    </message>
    <message>
        <source>a deal must last at least one second</source>
        <translation type="vanished">タイムセールは 1 秒以上にしてください</translation>
    </message>
    <message>
        <source>a deal&apos;s stock must be above zero (or unset)</source>
        <translation type="vanished">セール在庫は 1 以上にしてください（または未設定）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/words.py" line="+50"/>
        <source>{refusal}.</source>
        <translation>{refusal}。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../src/anchordesk/ui/main_window.py" line="+301"/>
        <source>Take works in studio mode: press %1 to switch it on.</source>
        <translation>「切り替え」はスタジオモードで使えます。%1 でスタジオモードにしてください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The recording cannot be switched off while live.</source>
        <translation>配信中は録画を止められません。</translation>
    </message>
    <message>
        <location line="+144"/>
        <source>Run sheet</source>
        <translation>進行表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comments</source>
        <translation>コメント</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders and sales</source>
        <translation>注文と売上</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stream health</source>
        <translation>配信の状態</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio</source>
        <translation>音声</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+45"/>
        <source>Teleprompter</source>
        <translation>プロンプター</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>Data board</source>
        <translation>データボード</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Show or hide &amp;panels</source>
        <translation>パネルの表示／非表示(&amp;P)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>最近使ったファイル(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Show</source>
        <translation>番組(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pr&amp;oducts</source>
        <translation>商品(&amp;O)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Record a local copy (%1)</source>
        <translation>ローカルにも録画する（%1）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;connect now</source>
        <translation>今すぐ再接続(&amp;C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stage the next card in a preview, then take it (%1)</source>
        <translation>次のカードをプレビューで準備してから切り替え（%1）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Rehearse a&amp;gain</source>
        <translation>もう一度リハーサル(&amp;G)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>◀ Previous</source>
        <translation>◀ 前へ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next ▶</source>
        <translation>次へ ▶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flash deal</source>
        <translation>タイムセール</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Studio</source>
        <translation>スタジオ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take</source>
        <translation>切り替え</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Reset the layout</source>
        <translation>レイアウトをリセット(&amp;R)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>STAGED — %1 takes it on air</source>
        <translation>待機中 — %1 で本番に切り替え</translation>
    </message>
    <message>
        <location line="+69"/>
        <source>Prompt: %1</source>
        <translation>プロンプト：%1</translation>
    </message>
    <message>
        <location line="+104"/>
        <source>Stage “%1”</source>
        <translation>「%1」を待機</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Put “%1” on screen</source>
        <translation>「%1」を画面に出す</translation>
    </message>
    <message>
        <source>This show has %1 products: there is no product %2.</source>
        <translation type="vanished">この番組の商品は %1 点です。商品 %2 はありません。</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>The show is live: stop streaming to end it.</source>
        <translation>配信中です。終了するには配信を停止してください。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The session has ended already: rehearse again or go live.</source>
        <translation>このセッションは終了しています。もう一度リハーサルするか配信を開始してください。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>No product is on screen.</source>
        <translation>画面に商品は出ていません。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Select a comment to pin first, or press %1 to pin the latest question.</source>
        <translation>固定するコメントを選ぶか、%1 で最新の質問を固定してください。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No comment is pinned.</source>
        <translation>固定中のコメントはありません。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No question is pinned: press %1 to pin the latest one.</source>
        <translation>固定中の質問はありません。%1 で最新の質問を固定できます。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Answered: %1</source>
        <translation>回答済み：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Nothing is being streamed: there is nothing to reconnect.</source>
        <translation>配信していないため、再接続するものはありません。</translation>
    </message>
    <message>
        <location line="+133"/>
        <source>%1 cannot be opened as a show (see below). The current show goes on; open a show file.</source>
        <translation>%1 は番組として開けません（下記参照）。現在の番組はそのまま続きます。番組ファイルを開いてください。</translation>
    </message>
    <message>
        <location line="-439"/>
        <source>S&amp;tream</source>
        <translation>配信(&amp;T)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Language</source>
        <translation>言語(&amp;L)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open show…</source>
        <translation>番組を開く(&amp;O)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Edit show…</source>
        <translation>番組を編集(&amp;E)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Settings…</source>
        <translation>設定(&amp;S)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Record</source>
        <translation>録画</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>End rehearsal</source>
        <translation>リハーサル終了</translation>
    </message>
    <message>
        <location line="-325"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your settings could not be read: %1. AnchorDesk started with the default settings.</source>
        <translation>設定を読み込めませんでした：%1。AnchorDesk は既定の設定で起動しました。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Settings: %1.</source>
        <translation>設定：%1。</translation>
    </message>
    <message>
        <location line="+313"/>
        <source>Rehearse again</source>
        <translation>もう一度リハーサル</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Keyboard shortcuts…</source>
        <translation>キーボードショートカット(&amp;K)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About AnchorDesk</source>
        <translation>AnchorDesk について(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System language</source>
        <translation>システムの言語</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Program preview</source>
        <translation>番組出力プレビュー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Staged preview</source>
        <translation>待機プレビュー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PROGRAM</source>
        <translation>番組出力</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Main toolbar</source>
        <translation>メインツールバー</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>More toolbar buttons</source>
        <translation>ツールバーのその他のボタン</translation>
    </message>
    <message>
        <location line="+89"/>
        <location line="+203"/>
        <source>Stop streaming</source>
        <translation>配信停止</translation>
    </message>
    <message>
        <location line="-203"/>
        <source>Go live…</source>
        <translation>配信開始…</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>LIVE — reconnecting (attempt %1)</source>
        <translation>配信中 — 再接続中（%1 回目）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>LIVE</source>
        <translation>LIVE</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Session ended — rehearse again or go live</source>
        <translation>セッション終了 — もう一度リハーサルするか配信を開始</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rehearsal — simulated audience, nothing is pushed</source>
        <translation>リハーサル — 模擬視聴者、配信しません</translation>
    </message>
    <message numerus="yes">
        <location line="+53"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>この番組の商品は %Ln 点です。商品 %1 はありません。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+106"/>
        <source>Stop the stream now? Viewers will see the stream end.</source>
        <translation>配信を今すぐ停止しますか？視聴者には配信終了と表示されます。</translation>
    </message>
    <message>
        <location line="+63"/>
        <location line="+24"/>
        <source>Open show</source>
        <translation>番組を開く</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>Show files (*.json)</source>
        <translation>番組ファイル (*.json)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 cannot be opened: it has the problems below. The current show goes on; fix the file in the show editor and open it again.</source>
        <translation>%1 は開けません。以下の問題があります。現在の番組はそのまま続きます。番組エディターでファイルを直してから、もう一度開いてください。</translation>
    </message>
    <message>
        <source>%1 cannot be opened: it is not a show file (see below). The current show goes on; open a show file.</source>
        <translation type="vanished">%1 は開けません。番組ファイルではありません（下記参照）。現在の番組はそのまま続きます。番組ファイルを開いてください。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 cannot be opened: the sample show is running.</source>
        <translation>%1 は開けません。サンプル番組を実行しています。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>No recent shows</source>
        <translation>最近の番組はありません</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Show saved. It will be used the next time the show is opened.</source>
        <translation>番組を保存しました。次に番組を開いたときに反映されます。</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>About AnchorDesk</source>
        <translation>AnchorDesk について</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>AnchorDesk %1 — the control room of a live-commerce show.</source>
        <translation>AnchorDesk %1 — ライブコマース配信のコントロールルーム。</translation>
    </message>
    <message>
        <location line="+112"/>
        <source>Quit while live</source>
        <translation>配信中に終了</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The stream is live. Stop streaming and quit?</source>
        <translation>配信中です。配信を停止して終了しますか？</translation>
    </message>
</context>
<context>
    <name>MessagesDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/messages.py" line="+105"/>
        <source>Messages</source>
        <translation>メッセージ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No message yet this run.</source>
        <translation>今回はまだメッセージがありません。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Messages of this run</source>
        <translation>今回のメッセージ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Copy all</source>
        <translation>すべてコピー(&amp;C)</translation>
    </message>
</context>
<context>
    <name>Network</name>
    <message>
        <location filename="../src/anchordesk/media/network_output.py" line="+133"/>
        <source>cannot start the network process: {error}</source>
        <translation>ネットワークプロセスを起動できません：{error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>cannot start the stream: {error}</source>
        <translation>ストリームを開始できません：{error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the network process did not start within {seconds} s</source>
        <translation>ネットワーク処理が {seconds} 秒以内に起動しませんでした</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stopped</source>
        <translation>停止しました</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server stopped taking the stream (nothing read for {seconds} s)</source>
        <translation>サーバーがストリームを受け取らなくなりました（{seconds} 秒間なにも読み取られていません）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>this program&apos;s TLS relay stopped taking the stream (nothing read for {seconds} s)</source>
        <translation>このプログラムの TLS 中継がストリームを受け取らなくなりました（{seconds} 秒間なにも読み取られていません）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>stalled: no progress for {seconds} s</source>
        <translation>停滞しています：{seconds} 秒間進みがありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server closed the connection</source>
        <translation>サーバーが接続を閉じました</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the network process ended with code {code}</source>
        <translation>ネットワークプロセスが終了しました（終了コード {code}）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the network process was ended by the signal {signal} (killed from outside)</source>
        <translation>ネットワークプロセスがシグナル {signal} で終了させられました（外部から強制終了）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>uplink too slow: dropped {frames} frames, delay kept under {seconds} s</source>
        <translation>アップロード回線が遅すぎます：{frames} フレームを破棄し、遅延を {seconds} 秒以内に保っています</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>uplink too slow: dropped {frames} frames, delay up to {seconds} s</source>
        <translation>アップロード回線が遅すぎます：{frames} フレームを破棄し、遅延は最大 {seconds} 秒です</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/network_watch.py" line="+128"/>
        <source>the server closed the connection ({why}: it went down, restarted or dropped the stream)</source>
        <extracomment>How the network child&apos;s own certificate check begins its refusal (network_child): a complete reason, never wrapped as a handshake failure.</extracomment>
        <translation>サーバーが接続を閉じました（{why}：サーバーが停止した、再起動した、またはストリームを切りました）</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{reason}</source>
        <translation>{reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>broken pipe</source>
        <translation>パイプが切断されました</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>connection reset by peer</source>
        <translation>相手側が接続をリセットしました</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>end of file</source>
        <translation>データの終わりに達しました</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network is unreachable</source>
        <translation>ネットワークに到達できません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>network is down</source>
        <translation>ネットワークがダウンしています</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no route to host</source>
        <translation>ホストへの経路がありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>host is unreachable</source>
        <translation>ホストに到達できません</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>the server ended the stream: {error}</source>
        <extracomment>How long an RTMP handshake may go unanswered before the server&apos;s port is looked at.</extracomment>
        <translation>サーバーがストリームを終了しました：{error}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>the server reset the connection ({why}) when asked for the application (&apos;{application}&apos;): check the application in the URL&apos;s path and the stream key; a firewall or proxy in between can do this too</source>
        <translation>アプリケーション（&apos;{application}&apos;）への接続を要求したところ、サーバーが接続をリセットしました（{why}）：URL のパスにあるアプリケーションとストリームキーを確認してください。途中のファイアウォールやプロキシが原因の場合もあります</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server reset the connection ({why}) when asked for the stream: check the stream key and the application name in the URL; a firewall or proxy in between can do this too</source>
        <translation>ストリームを要求したところ、サーバーが接続をリセットしました（{why}）：ストリームキーと URL のアプリケーション名を確認してください。途中のファイアウォールやプロキシが原因の場合もあります</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the server ended the TLS connection: {alert}</source>
        <translation>サーバーが TLS 接続を終了しました：{alert}</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the server asks for a user name and a password: put them in the URL (rtmp://USER:PASSWORD@HOST/…)</source>
        <translation>サーバーがユーザー名とパスワードを求めています：URL に含めてください（rtmp://ユーザー名:パスワード@ホスト/…）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server refused the stream: {error} (another program is streaming with this key, or the server still holds this program&apos;s earlier connection until its timeout)</source>
        <translation>サーバーがストリームを拒否しました：{error}（別のプログラムがこのキーで配信中か、サーバーがこのプログラムの以前の接続をタイムアウトまで保持しています）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server refused the stream: {error} (check the stream key and the application name in the URL)</source>
        <translation>サーバーがストリームを拒否しました：{error}（ストリームキーと URL 内のアプリケーション名を確認してください）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>this is a web server, not an RTMP server (it answered &quot;{answer}&quot;): check the address and port</source>
        <translation>これは RTMP サーバーではなく Web サーバーです（応答：「{answer}」）。アドレスとポートを確認してください</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>the server&apos;s answer is not RTMP (is there an RTMP server at this address and port?)</source>
        <translation>サーバーの応答が RTMP ではありません（このアドレスとポートに RTMP サーバーがありますか？）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server sent an RTMP message that cannot be read ({error}): a fault of the server or of a proxy in between, not of the stream key</source>
        <translation>サーバーが読み取れない RTMP メッセージを送りました（{error}）：サーバーか途中のプロキシの不具合で、ストリームキーの問題ではありません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server&apos;s name was not found: {host} ({why}; check the URL)</source>
        <translation>サーバー名が見つかりません：{host}（{why}；URL を確認してください）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>nothing is listening at {address} (connection refused: check the port, or the server is down)</source>
        <translation>{address} で待ち受けているものがありません（接続が拒否されました：ポートを確認してください。またはサーバーが停止しています）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>this computer cannot reach {address} ({why}: check that it is online, and any VPN or firewall in between)</source>
        <translation>このコンピューターは {address} に到達できません（{why}：オンラインかどうか、途中の VPN やファイアウォールを確認してください）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>no answer within {seconds} s</source>
        <translation>{seconds} 秒以内に応答がありません</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the TLS handshake failed: {detail} (is this an RTMPS port? rtmps:// needs the server&apos;s TLS port, often 443)</source>
        <translation>TLS ハンドシェイクに失敗しました：{detail}（これは RTMPS のポートですか？rtmps:// にはサーバーの TLS ポート、多くは 443 が必要です）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>could not reach the server within {seconds} s</source>
        <translation>{seconds} 秒以内にサーバーに到達できませんでした</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the server did not answer the request to connect to the application within {seconds} s (check the application name in the URL, and that this port is the server&apos;s RTMP port)</source>
        <translation>サーバーが {seconds} 秒以内にアプリケーションへの接続要求に応答しませんでした（URL 内のアプリケーション名と、このポートがサーバーの RTMP ポートであることを確認してください）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server did not accept the stream within {seconds} s (check the stream key and the application name in the URL)</source>
        <translation>サーバーが {seconds} 秒以内にストリームを受け付けませんでした（ストリームキーと URL 内のアプリケーション名を確認してください）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>no answer from the server within {seconds} s</source>
        <translation>サーバーから {seconds} 秒以内に応答がありません</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the server broke off the RTMP handshake (if this is an RTMPS port, use rtmps://)</source>
        <translation>サーバーが RTMP ハンドシェイクを打ち切りました（RTMPS のポートなら rtmps:// を使ってください）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>the server broke off the RTMP handshake</source>
        <translation>サーバーが RTMP ハンドシェイクを打ち切りました</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>the server closed the connection when asked for the application (&apos;{application}&apos;): check the application in the URL&apos;s path and the stream key</source>
        <translation>アプリケーション（&apos;{application}&apos;）への接続を要求したところ、サーバーが接続を閉じました：URL のパスにあるアプリケーションとストリームキーを確認してください</translation>
    </message>
    <message>
        <source>the server refused the stream: check the application in the URL&apos;s path (&apos;{application}&apos;) and the stream key</source>
        <translation type="vanished">サーバーがストリームを拒否しました：URL のパスにあるアプリケーション（&apos;{application}&apos;）とストリームキーを確認してください</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the server refused the stream (check the stream key and the application name in the URL)</source>
        <translation>サーバーがストリームを拒否しました（ストリームキーと URL 内のアプリケーション名を確認してください）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/media/tls_relay.py" line="+67"/>
        <source>the server&apos;s name was not found: {host}</source>
        <translation>サーバー名が見つかりません：{host}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>nothing is listening at {address}</source>
        <translation>{address} で待ち受けているものがありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no answer from {address} within {seconds} s</source>
        <translation>{address} から {seconds} 秒以内に応答がありません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>could not reach {address} ({why})</source>
        <translation>{address} に到達できませんでした（{why}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>could not reach the server ({why})</source>
        <translation>サーバーに到達できませんでした（{why}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the server&apos;s TLS certificate is not trusted ({why}): the stream key was not sent (check the server URL; a private server&apos;s certificate can be trusted with SSL_CERT_FILE)</source>
        <translation>サーバーの TLS 証明書が信頼されていません（{why}）：ストリームキーは送信していません（サーバーの URL を確認してください。独自サーバーの証明書は SSL_CERT_FILE で信頼できます）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the server at {address} did not answer the TLS handshake within {seconds} s</source>
        <translation>{address} のサーバーが {seconds} 秒以内に TLS ハンドシェイクに応答しませんでした</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the TLS handshake failed: {detail}</source>
        <translation>TLS ハンドシェイクに失敗しました：{detail}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the TLS relay of this program ended ({how}), which cut the connection to the server</source>
        <translation>このプログラムの TLS 中継が終了し（{how}）、サーバーへの接続が切れました</translation>
    </message>
</context>
<context>
    <name>OnAirCheck</name>
    <message>
        <location filename="../src/anchordesk/ui/on_air_check.py" line="+33"/>
        <source>on this show&apos;s list of banned words</source>
        <translation>この番組の禁止語リストにあります</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>an absolute claim, banned by China&apos;s Advertising Law (art. 9)</source>
        <translation>絶対的表現で、中国の広告法（第 9 条）で禁止されています</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>a superlative or efficacy claim that Japan&apos;s Premiums and Representations Act or PMD Act forbid without proof</source>
        <translation>根拠のない最上級・効能表現で、景品表示法または薬機法で禁止されています</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>an absolute or unproven claim that platforms and the FTC forbid</source>
        <translation>絶対的または根拠のない表現で、プラットフォームと米国 FTC が禁止しています</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>“%1”</source>
        <translation>「%1」</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“%1” (the term “%2”)</source>
        <translation>「%1」（語「%2」）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Show title</source>
        <translation>番組タイトル</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ticker line %1</source>
        <translation>ティッカー %1 行目</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Product “%1”, title</source>
        <translation>商品「%1」のタイトル</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Product “%1”, talking point %2</source>
        <translation>商品「%1」のトークポイント %2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Segment %1 “%2”, title</source>
        <translation>セグメント %1「%2」のタイトル</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Segment %1 “%2”, script</source>
        <translation>セグメント %1「%2」の台本</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: %2 — %3</source>
        <translation>%1：%2 — %3</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>Put this product on screen?</source>
        <translation>この商品を画面に出しますか？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>“%1” has words that platforms may punish on air. Put it on screen anyway?</source>
        <translation>「%1」には配信中にプラットフォームから処罰されうる語があります。それでも画面に出しますか？</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Go to this segment?</source>
        <translation>このセグメントに進みますか？</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Segment %1 “%2” puts “%3” on screen, and it has words that platforms may punish on air. Go to the segment anyway?</source>
        <translation>セグメント %1「%2」は「%3」を画面に出しますが、配信中にプラットフォームから処罰されうる語があります。それでもこのセグメントに進みますか？</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Flagged terms: %1</source>
        <translation>検出された語：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Pin this comment?</source>
        <translation>このコメントを固定しますか？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1&apos;s comment “%2” has words that platforms may punish on air. Pin it anyway?</source>
        <translation>%1 さんのコメント「%2」には配信中にプラットフォームから処罰されうる語があります。それでも固定しますか？</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Words to avoid on air</source>
        <translation>配信で避けるべき語</translation>
    </message>
    <message>
        <source>“%1” has %2 word(s) that platforms may punish on air. Edit the show, or avoid them when speaking:</source>
        <translation type="vanished">「%1」には配信中にプラットフォームから処罰されうる語が %2 件あります。番組を編集するか、話すときに避けてください：</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>&amp;Put it on air</source>
        <translation>放送に出す(&amp;P)</translation>
    </message>
</context>
<context>
    <name>OnAirWords</name>
    <message numerus="yes">
        <location line="-125"/>
        <source>“%1” has %Ln word(s) that platforms may punish on air. Edit the show, or avoid them when speaking:</source>
        <translation>
            <numerusform>「%1」には配信中にプラットフォームから処罰されうる語が %Ln 件あります。番組を編集するか、話すときに避けてください：</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OrderModel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/orders.py" line="+45"/>
        <source>%1 (simulated)</source>
        <translation>%1（模擬）</translation>
    </message>
</context>
<context>
    <name>OrdersPanel</name>
    <message>
        <location line="+96"/>
        <source>Time</source>
        <translation>時刻</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Amount</source>
        <translation>金額</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GMV</source>
        <translation>流通総額</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders/min</source>
        <translation>注文/分</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <location line="+4"/>
        <source>Orders</source>
        <translation>注文</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Units sold per product</source>
        <translation>商品別の販売数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gross merchandise value</source>
        <translation>流通総額</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orders per minute</source>
        <translation>1 分あたりの注文数</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Rejected, not counted: %1 (listed in the report)</source>
        <translation>却下（集計外）：%1（レポートに記載）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Simulated audience</source>
        <translation>模擬視聴者</translation>
    </message>
</context>
<context>
    <name>Platforms</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/destinations_page.py" line="-446"/>
        <source>Custom RTMP / RTMPS</source>
        <translation>カスタム RTMP / RTMPS</translation>
    </message>
</context>
<context>
    <name>ProductPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/products.py" line="+169"/>
        <location line="+1"/>
        <source>Take the product off screen</source>
        <translation>商品を画面から外す</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Flash deal</source>
        <translation>タイムセール</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Price</source>
        <translation>価格(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Se&amp;conds</source>
        <translation>秒数(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stoc&amp;k</source>
        <translation>在庫(&amp;K)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal price</source>
        <translation>セール価格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal length in seconds</source>
        <translation>セールの長さ（秒）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal stock</source>
        <translation>セール在庫</translation>
    </message>
    <message>
        <location line="+198"/>
        <source>sold out</source>
        <translation>完売</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 left</source>
        <translation>残り %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 sold</source>
        <translation>%1 個販売</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Put %1 on screen</source>
        <translation>%1 を画面に表示</translation>
    </message>
    <message numerus="yes">
        <location line="+101"/>
        <source>%1 · %2 left · %3 of %Ln unit(s) left</source>
        <translation>
            <numerusform>%1 · 残り %2 · %Ln点中残り%3点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+87"/>
        <source>Live: %1 left · %2 of %Ln unit(s) left</source>
        <translation>
            <numerusform>開催中：残り %1 · 在庫 %2/%Ln 個</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>Deal sold out: %Ln of its unit(s) sold</source>
        <translation>
            <numerusform>セール分完売：%Ln点販売</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 · %2 left · %3 of %4 units left</source>
        <translation type="vanished">%1 · 残り %2 · %4点中残り%3点</translation>
    </message>
    <message>
        <source>%1: %2 · %3 left · %4 of %5 units left</source>
        <translation type="vanished">%1：%2 · 残り %3 · %5点中残り%4点</translation>
    </message>
    <message>
        <location line="-80"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the deal on %1</source>
        <translation>%1 のセールを停止</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>Stop the deal</source>
        <translation>セールを停止</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Start the deal</source>
        <translation>セールを開始</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+23"/>
        <source>Put a product on screen to start a deal.</source>
        <translation>商品を画面に出すとセールを始められます。</translation>
    </message>
    <message>
        <source>Live: %1 left · %2 of %3 units left</source>
        <translation type="vanished">開催中：残り %1 · 在庫 %2/%3 個</translation>
    </message>
    <message>
        <source>Deal sold out: %1 of its units sold</source>
        <translation type="vanished">セール分完売：%1点販売</translation>
    </message>
    <message>
        <location line="-13"/>
        <source>Ended</source>
        <translation>終了</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scheduled</source>
        <translation>開始待ち</translation>
    </message>
</context>
<context>
    <name>ProductsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/products_page.py" line="+131"/>
        <source>Product %1</source>
        <translation>商品 %1</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>No image</source>
        <translation>画像なし</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Image not found</source>
        <translation>画像が見つかりません</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Product image</source>
        <translation>商品画像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>画像 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>SKU</source>
        <translation>品番</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Title</source>
        <translation>タイトル</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Price</source>
        <translation>価格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stock</source>
        <translation>在庫</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Image</source>
        <translation>画像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Talking points</source>
        <translation>説明ポイント</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Add product</source>
        <translation>商品を追加(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove product</source>
        <translation>商品を削除(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Import CSV…</source>
        <translation>CSV を取り込む(&amp;I)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose i&amp;mage…</source>
        <translation>画像を選ぶ(&amp;M)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Talking &amp;points (one per line):</source>
        <translation>説明ポイント（1 行に 1 つ）(&amp;P)：</translation>
    </message>
</context>
<context>
    <name>PromptRules</name>
    <message>
        <location filename="../src/anchordesk/ui/prompt_rules.py" line="+25"/>
        <source>Viewers fell by more than %1% in %2 s</source>
        <translation>%2 秒で視聴者が %1% 以上減少</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>A deal ends within %1 s with more than %2% of its units left</source>
        <translation>セールが %1 秒以内に終了し、%2% 超が売れ残り</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The product on screen sold out</source>
        <translation>表示中の商品が完売</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A question has waited %1 s unanswered</source>
        <translation>質問が %1 秒未回答</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The product on screen will sell out before its segment ends</source>
        <translation>表示中の商品がコーナー終了前に完売しそう</translation>
    </message>
</context>
<context>
    <name>PromptsPage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/prompts_page.py" line="+36"/>
        <source>Prompts</source>
        <translation>プロンプト</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The data board prompts the host and the operator when:</source>
        <translation>データボードは次のときにホストとオペレーターに知らせます：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Each situation is prompted once, on the board, over the picture and on the teleprompter, and kept in the session&apos;s report.</source>
        <translation>同じ状況の通知は一度だけ。ボード、画面の上、プロンプターに表示され、セッションのレポートに残ります。</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/file_dialogs.py" line="-205"/>
        <source>&amp;Look in:</source>
        <translation>場所(&amp;L):</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Files of &amp;type:</source>
        <translation>ファイルの種類(&amp;T):</translation>
    </message>
</context>
<context>
    <name>Recording</name>
    <message>
        <location filename="../src/anchordesk/media/recording.py" line="+522"/>
        <source>cannot finish the recording: writing {path} did not end within {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <extracomment>The files :func:`open_new_file` made in this process (so never a file of the user&apos;s).</extracomment>
        <translation>録画を完了できません：{path} への書き込みが {seconds} 秒以内に終わりませんでした（読み取られていないパイプ、または応答しないディスク）</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>the recording stopped at {time} ({size} kept, it plays up to there)</source>
        <translation>録画は {time} で止まりました（{size} を保存、そこまで再生できます）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the recording stopped at {time} ({size} sent, none of it kept here)</source>
        <translation>録画は {time} で止まりました（{size} を送信、このコンピューターには何も保存されていません）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the recording was deleted at {time} and could not be written again ({size} lost)</source>
        <translation>録画は {time} に削除され、書き直せませんでした（{size} を失いました）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{cause}: the recording stopped before it began</source>
        <translation>{cause}：録画は始まる前に止まりました</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{path}: {error}</source>
        <translation>{path}：{error}</translation>
    </message>
    <message>
        <location line="+414"/>
        <source>cannot create the recording</source>
        <translation>録画ファイルを作成できません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no program read the pipe {path} during the run: nothing was recorded</source>
        <translation>実行中にパイプ {path} を読み取るプログラムがありませんでした：何も録画されていません</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>cannot create the next file of the recording</source>
        <translation>録画の次のファイルを作成できません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cannot open the recording</source>
        <translation>録画ファイルを開けません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cannot write the recording</source>
        <translation>録画ファイルに書き込めません</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{cause}: {stopped}</source>
        <translation>{cause}：{stopped}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{stopped}: {cause}</source>
        <translation>{stopped}：{cause}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>nothing could be written to {path} for {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <translation>{path} に {seconds} 秒間何も書き込めませんでした（読み取られていないパイプ、または応答しないディスク）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>cannot finish the recording: nothing could be written to {path} for {seconds} s (a pipe nobody reads, or a stuck disk)</source>
        <translation>録画を完了できません：{path} に {seconds} 秒間何も書き込めませんでした（読み取られていないパイプ、または応答しないディスク）</translation>
    </message>
</context>
<context>
    <name>RecordingIndicator</name>
    <message>
        <location filename="../src/anchordesk/ui/recording_parts.py" line="+76"/>
        <source>REC paused: its disk is full</source>
        <translation>録画一時停止：ディスクが満杯</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>● REC %1</source>
        <translation>● 録画中 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 free</source>
        <translation>空き %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>part missing</source>
        <translation>欠落あり</translation>
    </message>
</context>
<context>
    <name>RecordingQuestion</name>
    <message>
        <location line="-52"/>
        <source>Record rehearsals and shows?</source>
        <translation>リハーサルと本番を録画しますか？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep a local recording of each rehearsal and show?</source>
        <translation>リハーサルと本番を毎回このパソコンに録画しますか？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Recordings go to %1 and take about %2 an hour at these settings. You can change this later with Record (%3) or in Settings.</source>
        <translation>録画は %1 に保存され、現在の設定では 1 時間あたり約 %2 になります。あとで「録画」（%3）または「設定」から変更できます。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Record</source>
        <translation>録画する(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Don&apos;t record</source>
        <translation>録画しない(&amp;D)</translation>
    </message>
</context>
<context>
    <name>RehearsalReportDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/report_dialog.py" line="+37"/>
        <source>Rehearsal report</source>
        <translation>リハーサルレポート</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show report</source>
        <translation>配信レポート</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Segment times</source>
        <translation>コーナーごとの時間</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Segment</source>
        <translation>コーナー</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Plan</source>
        <translation>予定</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Actual</source>
        <translation>実績</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Difference</source>
        <translation>差分</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Total</source>
        <translation>合計</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Session totals</source>
        <translation>セッションの合計</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>&amp;Open the full report</source>
        <translation>レポート全体を開く(&amp;O)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Rehearse again</source>
        <translation>もう一度リハーサル(&amp;R)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>not reached</source>
        <translation>未実施</translation>
    </message>
    <message>
        <source>Open the full report</source>
        <translation type="vanished">レポート全体を開く</translation>
    </message>
    <message>
        <source>Rehearse again</source>
        <translation type="vanished">もう一度リハーサル</translation>
    </message>
</context>
<context>
    <name>RemoteControl</name>
    <message>
        <location filename="../src/anchordesk/ui/remote.py" line="+54"/>
        <source>The remote control is off: another program already uses port %1. Choose another port in Settings → Remote control.</source>
        <translation>リモート操作はオフです：ポート %1 は別のプログラムが使用中です。「設定 → リモート操作」で別のポートを選んでください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The remote control is off: this computer does not allow it to use port %1. Choose another port in Settings → Remote control.</source>
        <translation>リモート操作はオフです：このコンピューターではポート %1 を使用できません。「設定 → リモート操作」で別のポートを選んでください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The remote control is off: it cannot listen on port %1 (%2).</source>
        <translation>リモート操作はオフです：ポート %1 で待ち受けできません（%2）。</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>The remote control runs only in the control room window.</source>
        <translation>リモート操作はコントロールルームのウィンドウでのみ動作します。</translation>
    </message>
</context>
<context>
    <name>RemotePage</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/remote_page.py" line="+131"/>
        <source>Remote control</source>
        <translation>リモート操作</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Takes effect when the settings are saved.</source>
        <translation>設定を保存すると反映されます。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Listening at %1</source>
        <translation>%1 で待ち受け中</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Off: nothing listens.</source>
        <translation>オフ：何も待ち受けていません。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Let a phone, a stream deck or a script run the show</source>
        <translation>スマートフォン、Stream Deck、スクリプトから番組を操作する</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Port:</source>
        <translation>ポート：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Allow other devices on this network</source>
        <translation>このネットワーク上の他の機器を許可する</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Token:</source>
        <translation>トークン：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remote control token</source>
        <translation>リモート操作トークン</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New token</source>
        <translation>新しいトークン</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Make a new token: phones and scripts with the old one are refused</source>
        <translation>新しいトークンを作成：古いトークンを使うスマートフォンやスクリプトは拒否されます</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No keyring on this computer: this token is for this run only; AnchorDesk makes a new one the next time it starts.</source>
        <translation>このコンピューターにはキーリングがありません：このトークンは今回の実行中のみ有効で、次回の起動時に新しいトークンが作成されます。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Web remote:</source>
        <translation>Web リモート：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy address with token</source>
        <translation>トークン付きのアドレスをコピー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scan with the phone&apos;s camera to open the web remote</source>
        <translation>スマートフォンのカメラで読み取って Web リモートを開きます</translation>
    </message>
</context>
<context>
    <name>RunSheetPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/docks/run_sheet.py" line="+71"/>
        <source>Segment</source>
        <translation>コーナー</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Plan</source>
        <translation>予定</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Elapsed</source>
        <translation>経過</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>◀ Previous</source>
        <translation>◀ 前へ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next ▶</source>
        <translation>次へ ▶</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Jump to selected</source>
        <translation>選択したコーナーへ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous segment</source>
        <translation>前のコーナー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next segment</source>
        <translation>次のコーナー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Jump to the selected segment</source>
        <translation>選択したコーナーへジャンプ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run sheet</source>
        <translation>進行表</translation>
    </message>
</context>
<context>
    <name>RundownPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/rundown_page.py" line="+178"/>
        <source>Segment %1</source>
        <translation>コーナー %1</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Planned: %1</source>
        <translation>予定時間：%1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Segment</source>
        <translation>コーナー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seconds</source>
        <translation>秒数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal price</source>
        <translation>セール価格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal seconds</source>
        <translation>セール秒数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Deal stock</source>
        <translation>セール在庫</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Script</source>
        <translation>台本</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Run sheet</source>
        <translation>進行表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Add segment</source>
        <translation>コーナーを追加(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Remove segment</source>
        <translation>コーナーを削除(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move &amp;up</source>
        <translation>上へ(&amp;U)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Move &amp;down</source>
        <translation>下へ(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Teleprompter &amp;script:</source>
        <translation>プロンプターの台本(&amp;S)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Crew &amp;notes (not on air):</source>
        <translation>スタッフ用メモ（放送されません）(&amp;N)：</translation>
    </message>
</context>
<context>
    <name>SecretLineEdit</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/secret_field.py" line="+51"/>
        <source>Show or hide %1</source>
        <translation>%1 の表示／非表示</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Hide</source>
        <translation>非表示</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show</source>
        <translation>表示</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hide the text</source>
        <translation>内容を隠す</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Show the text</source>
        <translation>内容を表示</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <location filename="../src/anchordesk/live/settings.py" line="+756"/>
        <source>{field} is {value}, not a whole number; {default} taken</source>
        <extracomment>Where :func:`feed_url_secrets` finds a secret that is no named parameter: the user info, and a port that is no number (which never moves to the keyring as the feed&apos;s token).</extracomment>
        <translation>{field} が {value} で整数ではないため、{default} を使います</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{field} is {value}, outside {low} to {high}; {kept} taken</source>
        <translation>{field} が {value} で {low}〜{high} の範囲外のため、{kept} を使います</translation>
    </message>
    <message>
        <source>{key} is not a list; ignored</source>
        <translation type="vanished">{key} はリストではないため無視しました</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>{key} is {value}, not an object; its defaults taken</source>
        <translation>{key} は {value} で、オブジェクトではありません。既定値を使います</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{key} is not a list; ignored, and kept in the file as it is</source>
        <translation>{key} はリストではないため無視しました。ファイルにはそのまま残します</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{field} is {value}, not true or false; {default} taken</source>
        <translation>{field} が {value} です。true か false ではないため、{default} を使います</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{field} is {value}, not a text; &apos;{default}&apos; taken</source>
        <translation>{field} が {value} で文字列ではないため、&apos;{default}&apos; を使います</translation>
    </message>
    <message>
        <location line="+129"/>
        <source>language is {value}, not one of {choices}; system taken</source>
        <translation>language が {value} で {choices} のいずれでもないため、システムの言語を使います</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>destinations[{index}] is not a destination; skipped</source>
        <translation>destinations[{index}] は配信先ではありません。スキップしました</translation>
    </message>
    <message>
        <location line="-54"/>
        <source>destinations[{index}] has the id of another destination (&apos;{id}&apos;); given a new one: type its stream key again in Settings</source>
        <translation>destinations[{index}] は別の配信先と同じ id（&apos;{id}&apos;）です。新しい id を付けました：設定でストリームキーをもう一度入力してください</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>destination &apos;{name}&apos; has what looks like a stream key in its server URL; move the key to the stream key field in Settings</source>
        <translation>配信先「{name}」のサーバー URL にストリームキーらしきものが含まれています。キーは設定のストリームキー欄に移してください</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>encoder canvas &apos;{canvas}&apos; is not WIDTHxHEIGHT; using 1280x720</source>
        <translation>エンコーダーのキャンバス「{canvas}」は「幅x高さ」の形式ではありません。1280x720 を使います</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>feeds[{index}] has no known kind; skipped</source>
        <translation>feeds[{index}] の種類が不明です。スキップしました</translation>
    </message>
    <message>
        <location line="-145"/>
        <source>feeds[{index}] has the id of another feed (&apos;{id}&apos;); given a new one, with its own keyring entry: check its token in Settings, Feeds</source>
        <translation>feeds[{index}] は別のフィードと同じ id（&apos;{id}&apos;）です。新しい id と専用のキーリング項目を付けました：設定の「フィード」でトークンを確認してください</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>{count} more problems in the settings file, not listed</source>
        <translation>設定ファイルには、ほかに {count} 件の問題があります（一覧にはありません）</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>destinations[{index}] and {count} more have the id of another destination (&apos;{id}&apos;); each given a new one: type their stream keys again in Settings</source>
        <translation>destinations[{index}] とほか {count} 件は別の配信先と同じ id（&apos;{id}&apos;）です。それぞれに新しい id を付けました：設定でストリームキーをもう一度入力してください</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>feeds[{index}] and {count} more have the id of another feed (&apos;{id}&apos;); each given a new one, with its own keyring entry: check their tokens in Settings, Feeds</source>
        <translation>feeds[{index}] とほか {count} 件は別のフィードと同じ id（&apos;{id}&apos;）です。それぞれに新しい id と専用のキーリング項目を付けました：設定の「フィード」でトークンを確認してください</translation>
    </message>
    <message>
        <location line="+183"/>
        <source>feed {kind} ({url}) is not used: {problem}; correct its URL in Settings, Feeds</source>
        <translation>フィード {kind}（{url}）は使いません：{problem}。設定の「フィード」で URL を直してください</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>recordings_dir is {value}, not a folder name; recording to the default folder</source>
        <translation>recordings_dir が {value} でフォルダー名ではないため、既定のフォルダーに録画します</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the recordings folder &apos;{path}&apos; is not a folder name (it holds a NUL character); recording to the default folder</source>
        <translation>録画フォルダー &apos;{path}&apos; はフォルダー名ではありません（NUL 文字を含んでいます）。既定のフォルダーに録画します</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>feed {kind} ({url}) has a token or a password in its URL; put the token in the Token field of Settings, Feeds</source>
        <translation>フィード {kind}（{url}）の URL にトークンかパスワードが含まれています。トークンは設定の「フィード」のトークン欄に入れてください</translation>
    </message>
    <message>
        <location line="+134"/>
        <source>{path} is not a regular file</source>
        <translation>{path} は通常のファイルではありません</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cannot read {path}: {reason}</source>
        <translation>{path} を読み取れません：{reason}</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>{path} is not valid JSON; it is kept as {backup}</source>
        <translation>{path} は有効な JSON ではありません。{backup} として保存してあります</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>cannot rewrite {path}: {reason}</source>
        <translation>{path} を書き直せません：{reason}</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>feed {kind} ({url}) has a token in its URL that cannot be kept or sent: {reason}; type the token in the Token field of Settings, Feeds</source>
        <translation>フィード {kind}（{url}）の URL に、保存も送信もできないトークンが含まれています：{reason}。設定の「フィード」のトークン欄にトークンを入力してください</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>feed {kind} had a token in its URL; it was moved to the system keyring (the feed&apos;s Token field) and the URL saved without it: {url}</source>
        <translation>フィード {kind} の URL にトークンが含まれていたため、システムのキーリング（フィードのトークン欄）に移し、トークンを除いた URL を保存しました：{url}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/settings/dialog.py" line="+255"/>
        <source>The settings could not be saved: %1</source>
        <translation>設定を保存できません：%1</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
</context>
<context>
    <name>ShowEditor</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="+478"/>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run sheet</source>
        <translation>進行表</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Show</source>
        <translation>番組</translation>
    </message>
    <message>
        <location line="-239"/>
        <location line="+81"/>
        <source>Checking the show…</source>
        <translation>番組を確認しています…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Not checked: a picture&apos;s folder does not answer.</source>
        <translation>未確認：画像のフォルダーが応答しません。</translation>
    </message>
    <message numerus="yes">
        <location line="+60"/>
        <source>Nothing was imported from %1: fix row(s) %2 and import again.</source>
        <translation>
            <numerusform>%1 からは何も取り込んでいません。%2 行目を直してから、もう一度取り込んでください。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>The show still has %Ln error(s). Save it anyway, to finish later?</source>
        <translation>
            <numerusform>番組にはまだエラーが %Ln 件あります。あとで直すために、このまま保存しますか？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%Ln product(s) imported from %1, with these warnings:</source>
        <translation>
            <numerusform>%1 から %Ln 件の商品を取り込みました。次の警告があります：</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No problems found.</source>
        <translation>問題は見つかりませんでした。</translation>
    </message>
    <message>
        <source>%1 errors, %2 warnings, each shown next to its field</source>
        <translation type="vanished">エラー %1 件、警告 %2 件（それぞれの項目の横に表示）</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+61"/>
        <source>error: %1</source>
        <translation>エラー：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>warning: %1</source>
        <translation>警告：%1</translation>
    </message>
    <message>
        <location line="+109"/>
        <location line="+353"/>
        <source>Reading %1…</source>
        <translation>%1 を読み込んでいます…</translation>
    </message>
    <message>
        <location line="-319"/>
        <location line="+20"/>
        <source>Open show</source>
        <translation>番組を開く</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show files (*.json);;All files (*)</source>
        <translation>番組ファイル (*.json);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Save show as</source>
        <translation>番組に名前を付けて保存</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show files (*.json)</source>
        <translation>番組ファイル (*.json)</translation>
    </message>
    <message>
        <location line="+54"/>
        <location line="+16"/>
        <location line="+59"/>
        <location line="+73"/>
        <location line="+28"/>
        <source>Save show</source>
        <translation>番組を保存</translation>
    </message>
    <message>
        <location line="-175"/>
        <source>The built-in sample show cannot be changed. Use Save as… to keep a copy.</source>
        <translation>付属のサンプル番組は変更できません。「名前を付けて保存…」でコピーを保存してください。</translation>
    </message>
    <message>
        <source>The show still has %1 errors. Save it anyway, to finish later?</source>
        <translation type="vanished">番組にはまだエラーが %1 件あります。あとで直すために、このまま保存しますか？</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="-76"/>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+67"/>
        <source>Not checked: the pictures&apos; folder %1 does not answer.</source>
        <translation>未確認：画像フォルダー %1 が応答しません。</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+8"/>
        <source>The show was saved to %1 as typed. Its pictures, in %2, were not checked: that folder does not answer (a network disk whose server went away?).</source>
        <translation>番組を入力どおり %1 に保存しました。%2 にある画像は確認していません。そのフォルダーが応答しません（サーバーが落ちたネットワークディスク？）。</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>%1 answered at last, but the show could not be saved there: %2</source>
        <translation>%1 がようやく応答しましたが、番組をそこに保存できませんでした：%2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 answered at last: the show is saved there as it was when you saved it; changes made since then are not saved yet.</source>
        <translation>%1 がようやく応答しました。番組は保存した時点の内容でそこに保存されています。その後の変更はまだ保存されていません。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>%1 does not answer (a network disk whose server went away?): the show was not saved. Save it on another disk with Save as…</source>
        <translation>%1 が応答しません（サーバーが落ちたネットワークディスク？）。番組は保存されていません。「名前を付けて保存…」で別のディスクに保存してください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+5"/>
        <source>The show could not be saved: %1</source>
        <translation>番組を保存できません：%1</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+59"/>
        <source>Import products from CSV</source>
        <translation>CSV から商品を読み込む</translation>
    </message>
    <message>
        <location line="-57"/>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>CSV ファイル (*.csv);;すべてのファイル (*)</translation>
    </message>
    <message>
        <source>Nothing was imported from %1: fix rows %2 and import again.</source>
        <translation type="vanished">%1 からは何も取り込んでいません。%2 行目を直してから、もう一度取り込んでください。</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>Nothing was imported from %1: fix the file and import again.</source>
        <translation>%1 からは何も取り込んでいません。ファイルを直してから、もう一度取り込んでください。</translation>
    </message>
    <message>
        <source>%1 products imported from %2, with these warnings:</source>
        <translation type="vanished">%2 から %1 件の商品を取り込みました。次の警告があります：</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="+98"/>
        <source>New show[*] — Show editor</source>
        <translation>新しい番組[*] — 番組エディター</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1[*] (built-in sample, read-only) — Show editor</source>
        <translation>%1[*]（付属サンプル・読み取り専用）— 番組エディター</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1[*] (read-only) — %2 — Show editor</source>
        <translation>%1[*]（読み取り専用）— %2 — 番組エディター</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1[*] — %2 — Show editor</source>
        <translation>%1[*] — %2 — 番組エディター</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>This is the built-in sample show: it is read-only. Use Save as… to keep your own copy, then edit that.</source>
        <translation>これは付属のサンプル番組で、読み取り専用です。「名前を付けて保存…」で自分用のコピーを作り、そちらを編集してください。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This file cannot be written. Use Save as… to keep your changes.</source>
        <translation>このファイルには書き込めません。「名前を付けて保存…」で変更を保存してください。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Save as…</source>
        <translation>名前を付けて保存…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next problem (F8)</source>
        <translation>次の問題へ (F8)</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/files.py" line="+55"/>
        <source>No recent shows</source>
        <translation>最近の番組はありません</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Unsaved changes</source>
        <translation>未保存の変更</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The show has changes that are not saved. Save them?</source>
        <translation>番組に保存されていない変更があります。保存しますか？</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/editor.py" line="-73"/>
        <source>%1, %2, each shown next to its field</source>
        <translation>%1、%2（それぞれの項目の横に表示）</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln error(s)</source>
        <translation>
            <numerusform>エラー %Ln 件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln warning(s)</source>
        <translation>
            <numerusform>警告 %Ln 件</numerusform>
        </translation>
    </message>
    <message>
        <location line="+57"/>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>最近使ったファイル(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New show</source>
        <translation>新しい番組(&amp;N)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open…</source>
        <translation>開く(&amp;O)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save &amp;as…</source>
        <translation>名前を付けて保存(&amp;A)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Import products from CSV…</source>
        <translation>CSV から商品を読み込む(&amp;I)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next &amp;problem</source>
        <translation>次の問題へ(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Close</source>
        <translation>閉じる(&amp;C)</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/ui/editor/draft.py" line="+124"/>
        <source>banned word “%1” (rule: %2)</source>
        <translation>禁止語「%1」（ルール：%2）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>absolute term “%1” (rule: %2)</source>
        <translation>断定表現「%1」（ルール：%2）</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>{file} is not {encoding} text (byte at offset {offset})</source>
        <translation>{file} は {encoding} のテキストではありません（オフセット {offset} のバイト）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{file}: invalid JSON at line {line}, column {column}: {reason}</source>
        <translation>{file}：{line} 行 {column} 列目の JSON が正しくありません：{reason}</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{file}: a show file holds one JSON object {{…}}</source>
        <translation>{file}：番組ファイルには JSON オブジェクト {{…}} が 1 つ必要です</translation>
    </message>
</context>
<context>
    <name>ShowPage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/show_page.py" line="+243"/>
        <source>Logo</source>
        <translation>ロゴ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>画像 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>&amp;Title:</source>
        <translation>タイトル(&amp;T)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Currency:</source>
        <translation>通貨(&amp;C)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Language:</source>
        <translation>言語(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Accent colour:</source>
        <translation>アクセントカラー(&amp;A)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Loo&amp;k:</source>
        <translation>外観(&amp;K)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>L&amp;ogo:</source>
        <translation>ロゴ(&amp;O)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Banned words (one per line):</source>
        <translation>禁止語（1 行に 1 つ）(&amp;B)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>T&amp;icker announcements (one per line):</source>
        <translation>ティッカーのお知らせ（1 行に 1 つ）(&amp;I)：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>C&amp;hoose…</source>
        <translation>選ぶ(&amp;H)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choos&amp;e…</source>
        <translation>選ぶ(&amp;E)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dark</source>
        <translation>ダーク</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Light</source>
        <translation>ライト</translation>
    </message>
</context>
<context>
    <name>ShowProblems</name>
    <message>
        <location filename="../src/anchordesk/show/validate.py" line="+131"/>
        <location filename="../src/anchordesk/ui/editor/show_page.py" line="+18"/>
        <source>line {line}, column {column}: {message}</source>
        <translation>{line} 行 {column} 列目：{message}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{where} ({subject}): {message}</source>
        <translation>{where}（{subject}）：{message}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{where}: {message}</source>
        <translation>{where}：{message}</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>product {sku}, {title}</source>
        <translation>商品 {sku}「{title}」</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>product {name}</source>
        <translation>商品 {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>segment {number}, {title}</source>
        <translation>セグメント {number}「{title}」</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>segment {number}</source>
        <translation>セグメント {number}</translation>
    </message>
    <message>
        <source>{value} is not an ISO 4217 currency: its prices are shown as {code} 1.00 with two decimals; check the code</source>
        <translation type="vanished">{value} は ISO 4217 の通貨ではありません。価格は {code} 1.00 のように小数 2 桁で表示されます。コードを確認してください</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>the {what} {written} is {written_length} characters long as written and {length} once normalised (Unicode NFKC, as it is kept and compared); at most {limit}</source>
        <translation>{what} {written} は書かれたままでは {written_length} 文字、正規化（Unicode NFKC。保存と比較はこの形で行います）すると {length} 文字です。上限は {limit} 文字です</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>the {what} is {length} characters long; at most {limit}</source>
        <translation>{what}が {length} 文字あります。上限は {limit} 文字です</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>the {what} {text} holds the character {control} at character {position}: on air it would turn the text around or break its line</source>
        <translation>{what} {text} の {position} 文字目に文字 {control} があります。放送では文字の向きが逆になったり、行が途切れたりします</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>the {what} {text} holds the control character {control} at character {position}: the picture cannot show it</source>
        <translation>{what} {text} の {position} 文字目に制御文字 {control} があります。映像には表示できません</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>title</source>
        <translation>タイトル</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sku</source>
        <translation>品番</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>price</source>
        <translation>価格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal price</source>
        <translation>セール価格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal seconds</source>
        <translation>セール時間</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>deal stock</source>
        <translation>セール在庫</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>logo path</source>
        <translation>ロゴのパス</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>image path</source>
        <translation>画像のパス</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>banned word</source>
        <translation>禁止語</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>announcement</source>
        <translation>お知らせ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>script</source>
        <translation>台本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>talking point</source>
        <translation>トークポイント</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>must be above zero (got {value})</source>
        <translation>0 より大きくしてください（現在 {value}）</translation>
    </message>
    <message>
        <location line="-27"/>
        <source>{seconds} s is longer than a day</source>
        <translation>{seconds} 秒は 1 日より長いです</translation>
    </message>
    <message>
        <location line="+91"/>
        <location filename="../src/anchordesk/showfile/files.py" line="+601"/>
        <source>unknown format version {version}: this program reads format {format}</source>
        <translation>不明な形式バージョン {version}：このプログラムが読めるのは形式 {format} です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the show needs a title</source>
        <translation>番組のタイトルが必要です</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{value} is not an ISO 4217 code such as CNY, USD or JPY</source>
        <translation>{value} は ISO 4217 の通貨コード（CNY、USD、JPY など）ではありません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{value} is not a language tag such as zh_CN or en</source>
        <translation>{value} は言語タグ（zh_CN、en など）ではありません</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{value} is no language this program knows: prices and times are written as in English, and the rehearsal audience speaks English</source>
        <translation>{value} はこのプログラムが知らない言語です。価格と時刻は英語の形式で書かれ、リハーサルの観客も英語を話します</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{value} is not a colour such as #ff3355</source>
        <translation>{value} は色（#ff3355 など）ではありません</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{count} banned words; at most {limit}</source>
        <translation>禁止語が {count} 個あります。上限は {limit} 個です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty word (ignored)</source>
        <translation>空の語（無視します）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} announcements; at most {limit}</source>
        <translation>お知らせが {count} 件あります。上限は {limit} 件です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty announcement (ignored)</source>
        <translation>空のお知らせ（無視します）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>the rundown needs at least one segment</source>
        <translation>進行表にはセグメントが 1 つ以上必要です</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the segment needs a title</source>
        <translation>セグメントのタイトルが必要です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the notes are {length} characters long; at most {limit}</source>
        <translation>メモが {length} 文字あります。上限は {limit} 文字です</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>unknown sku {sku}: no product has it</source>
        <translation>不明な品番 {sku}：この品番の商品はありません</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{value} is not one of: {allowed}</source>
        <translation>{value} は次のいずれでもありません：{allowed}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} products; a show holds at most {limit}</source>
        <translation>商品が {count} 件あります。1 回の配信の商品は最大 {limit} 件です</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{count} segments; a show holds at most {limit}</source>
        <translation>セグメントが {count} 件あります。1 回の配信のセグメントは最大 {limit} 件です</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>the sku is empty</source>
        <translation>品番が空です</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the sku {sku} has spaces at its ends</source>
        <translation>品番 {sku} の前後に空白があります</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the sku {sku} holds the invisible character {char} at character {index}: orders name their product by the visible characters only</source>
        <translation>SKU {sku} の {index} 文字目に見えない文字 {char} があります。注文は見える文字だけで商品を照合します</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>duplicate sku {sku} (also in {other})</source>
        <translation>品番 {sku} が重複しています（{other}にもあります）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the product needs a title</source>
        <translation>商品のタイトルが必要です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{value} is not an ISO 4217 code such as CNY</source>
        <translation>{value} は ISO 4217 の通貨コード（CNY など）ではありません</translation>
    </message>
    <message>
        <location line="-332"/>
        <source>stock must not be negative (got {value})</source>
        <translation>在庫は負の数にできません（現在 {value}）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>stock {value} is out of range: a whole number from 0 to {limit}</source>
        <translation>在庫 {value} は範囲外です。0〜{limit} の整数にしてください</translation>
    </message>
    <message>
        <location line="+334"/>
        <source>{count} talking points; at most {limit}</source>
        <translation>トークポイントが {count} 個あります。上限は {limit} 個です</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>empty talking point</source>
        <translation>空のトークポイント</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>a deal needs the segment&apos;s product: set the segment&apos;s sku</source>
        <translation>タイムセールにはセグメントの商品が必要です。セグメントの品番を設定してください</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>deal price {price} is not below the list price {list_price} of {sku}</source>
        <translation>セール価格 {price} が {sku} の定価 {list_price} より低くありません</translation>
    </message>
    <message>
        <location line="+76"/>
        <source>the {what} {value} is not a number</source>
        <translation>{what} {value} は数値ではありません</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the {what} {value} is out of range: a number from 0 to {limit}</source>
        <translation>{what} {value} は範囲外です。0〜{limit} の数値にしてください</translation>
    </message>
    <message>
        <location line="-150"/>
        <source>the deal ({deal_seconds} s) outlasts its segment ({segment_seconds} s): it keeps counting down during the next segment</source>
        <translation>タイムセール（{deal_seconds} 秒）がセグメント（{segment_seconds} 秒）より長いため、次のセグメントでもカウントダウンが続きます</translation>
    </message>
    <message>
        <location line="-387"/>
        <source>deal stock {value} is out of range: a whole number from 1 to {limit}</source>
        <translation>セール在庫 {value} は範囲外です。1〜{limit} の整数にしてください</translation>
    </message>
    <message>
        <location line="+465"/>
        <source>deal stock {deal_stock} is above the stock {stock} of {sku}</source>
        <translation>セール在庫 {deal_stock} が {sku} の在庫 {stock} を超えています</translation>
    </message>
    <message>
        <location line="-63"/>
        <source>the deals on {sku} plan {planned} units in all, more than its stock {stock}</source>
        <translation>{sku} のタイムセールは合計 {planned} 点の予定で、在庫 {stock} を超えています</translation>
    </message>
    <message>
        <location line="+105"/>
        <source>{field}: {problem}</source>
        <translation>{field}：{problem}</translation>
    </message>
    <message>
        <source>the {what} is not a finite number</source>
        <translation type="vanished">{what}が有限の数値ではありません</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>the {what} must not be negative (got {value})</source>
        <translation>{what}は負の数にできません（現在 {value}）</translation>
    </message>
    <message>
        <source>the {what} {value} is out of range: at most {limit}</source>
        <translation type="vanished">{what} {value} は範囲外です。上限は {limit} です</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>{value} has more decimals than {currency} uses ({allowed})</source>
        <translation>{value} は {currency} の小数桁数（{allowed} 桁）を超えています</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/showfile/files.py" line="-521"/>
        <source>a show file</source>
        <translation>番組ファイル</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>unusable show</source>
        <translation>使用できない番組</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{problem} (and {count} more problems)</source>
        <translation>{problem}（ほかに {count} 件の問題）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{file}: {problem}</source>
        <translation>{file}：{problem}</translation>
    </message>
    <message>
        <source>an object</source>
        <translation type="vanished">オブジェクト</translation>
    </message>
    <message>
        <source>a list</source>
        <translation type="vanished">リスト</translation>
    </message>
    <message>
        <location line="+80"/>
        <source>a text</source>
        <translation>テキスト</translation>
    </message>
    <message>
        <source>a number</source>
        <translation type="vanished">数値</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>expected {what}, found {found}</source>
        <translation>{what}が必要です（実際は {found}）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>a text or null</source>
        <translation>テキストまたは null</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a whole number</source>
        <translation>整数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a price (a number)</source>
        <translation>価格（数値）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list of texts</source>
        <translation>テキストのリスト</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a list [...]</source>
        <translation>リスト [...]</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>an object {{...}}</source>
        <translation>オブジェクト {{...}}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a sku (a text) or null</source>
        <translation>品番（テキスト）または null</translation>
    </message>
    <message>
        <location line="+69"/>
        <source>{key} is written twice; the last one is used</source>
        <translation>{key} が 2 回書かれています。最後のものを使います</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>unknown field {key} (ignored); did you mean {hint}?</source>
        <translation>不明な項目 {key}（無視します）。{hint} のことですか？</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>unknown field {key} (ignored)</source>
        <translation>不明な項目 {key}（無視します）</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{count} more unknown fields (ignored): {names}{more}</source>
        <translation>ほかに不明な項目が {count} 個あります（無視します）：{names}{more}</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>{count} more fields written twice (the last one of each is used): {names}{more}</source>
        <translation>ほかに {count} 個の項目が 2 回書かれています（それぞれ最後のものを使います）：{names}{more}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>required field is missing</source>
        <translation>必須の項目がありません</translation>
    </message>
    <message>
        <source>{field} {value} is out of range: a whole number from {low} to {high}</source>
        <translation type="vanished">{field} {value} は範囲外です。{low}〜{high} の整数にしてください</translation>
    </message>
    <message>
        <source>{value} is not a price</source>
        <translation type="vanished">{value} は価格ではありません</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>the {field} {value} has too many decimals</source>
        <translation>{field} {value} は小数の桁数が多すぎます</translation>
    </message>
    <message>
        <source>the {field} {value} is out of range: a number from 0 to {limit}</source>
        <translation type="vanished">{field} {value} は範囲外です。0〜{limit} の数値にしてください</translation>
    </message>
    <message>
        <location line="+145"/>
        <source>unknown format version {version}: this program reads format {format} (a newer AnchorDesk may read it)</source>
        <translation>不明な形式バージョン {version}：このプログラムが読めるのは形式 {format} です（新しい AnchorDesk なら読めるかもしれません）</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>not a number: {value}</source>
        <translation>数値ではありません：{value}</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>not {encoding} text: byte {byte} at offset {offset}; save the file as UTF-8</source>
        <translation>{encoding} のテキストではありません（オフセット {offset} のバイト {byte}）。ファイルを UTF-8 で保存してください</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>the file is empty</source>
        <translation>ファイルが空です</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>invalid JSON: {reason} (this is a product list in CSV: make a show of it with anchordesk show import-csv)</source>
        <translation>JSON が正しくありません：{reason}（CSV の商品リストです：anchordesk show import-csv で番組にしてください）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>invalid JSON: {reason}</source>
        <translation>JSON が正しくありません：{reason}</translation>
    </message>
    <message>
        <location line="+15"/>
        <location filename="../src/anchordesk/ui/editor/draft.py" line="-5"/>
        <source>invalid show: the JSON is nested too deeply</source>
        <translation>番組が正しくありません：JSON の入れ子が深すぎます</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>the text {text} holds a lone surrogate {surrogate} at character {position} (a broken \u escape): it is not Unicode text</source>
        <translation>テキスト {text} の {position} 文字目に単独のサロゲート {surrogate} があります（壊れた \u エスケープ）。Unicode のテキストではありません</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>the file is {size} MB; a show file is JSON text of at most {limit} MB</source>
        <translation>ファイルが {size} MB あります。番組ファイルは {limit} MB までの JSON テキストです</translation>
    </message>
    <message>
        <location line="+166"/>
        <source>the {field} {value} is written with more than {limit} characters: write it shorter</source>
        <translation>{field} {value} は {limit} 文字を超えて書かれています。短く書いてください</translation>
    </message>
    <message>
        <location filename="../src/anchordesk/showfile/images.py" line="+40"/>
        <source>a folder</source>
        <translation>フォルダー</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a named pipe (FIFO)</source>
        <translation>名前付きパイプ（FIFO）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a socket</source>
        <translation>ソケット</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a device</source>
        <translation>デバイス</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not a regular file</source>
        <translation>通常ファイル以外</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>an image file</source>
        <translation>画像ファイル</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>image</source>
        <translation>画像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>logo</source>
        <translation>ロゴ</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no such file: {path}</source>
        <translation>ファイルがありません：{path}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>cannot read {path}: {reason}</source>
        <translation>{path} を読み取れません：{reason}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{path} is not a regular file</source>
        <translation>{path} は通常のファイルではありません</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{path} is {kind}, not {wanted}</source>
        <translation>{path} は{kind}で、{wanted}ではありません</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>the {what} {name} is a web address: a show&apos;s pictures are files (save it next to the show file and give its name)</source>
        <translation>{what} {name} は Web アドレスです：配信の画像はファイルです（配信ファイルと同じフォルダーに保存し、そのファイル名を指定してください）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>the {what} {name} is outside the show&apos;s folder ({folder}): a copy of the folder given to someone else would lack it</source>
        <translation>{what} {name} は番組フォルダー（{folder}）の外にあります。フォルダーを他の人に渡すと含まれません</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{name} (looked for {resolved})</source>
        <translation>{name}（探した場所：{resolved}）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{what} file not found: {where}</source>
        <translation>{what}ファイルが見つかりません：{where}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{what} path {name} is not a valid path</source>
        <translation>{what}のパス {name} は有効なパスではありません</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{what} {name} is {size} MB; an image is at most {limit} MB</source>
        <translation>{what} {name} は {size} MB あります。画像は {limit} MB までです</translation>
    </message>
    <message>
        <location line="+67"/>
        <source>{what} {name} is an empty file</source>
        <translation>{what} {name} は空のファイルです</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is not a PNG, JPEG, WebP or BMP image</source>
        <translation>{what} {name} は PNG・JPEG・WebP・BMP 画像ではありません</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{what} {name} is not a PNG, JPEG, WebP or BMP image ({suffix})</source>
        <translation>{what} {name} は PNG・JPEG・WebP・BMP 画像ではありません（{suffix}）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is {width}×{height} pixels; an image has at most {limit} million</source>
        <translation>{what} {name} は {width}×{height} ピクセルです。画像は {limit} メガピクセルまでです</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{what} {name} cannot be decoded: the file is damaged or incomplete</source>
        <translation>{what} {name} をデコードできません。ファイルが壊れているか不完全です</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{what} file cannot be read: {where}: {reason}</source>
        <translation>{what}ファイルを読み取れません：{where}：{reason}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} {name} is not a regular file</source>
        <translation>{what} {name} は通常のファイルではありません</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{what} {name} is {kind}, not {wanted}</source>
        <translation>{what} {name} は{kind}で、{wanted}ではありません</translation>
    </message>
</context>
<context>
    <name>StartRefusedDialog</name>
    <message>
        <location filename="../src/anchordesk/ui/start_refused.py" line="+32"/>
        <source>%1 cannot be opened: it has the problems below. The sample show is running instead. Fix the file in the show editor, or open another show.</source>
        <translation>%1 は開けません。以下の問題があります。代わりにサンプル番組を実行しています。番組エディターでファイルを直すか、別の番組を開いてください。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 cannot be opened: it has the problems below. The sample show is running instead. Open another show, or go on with the sample.</source>
        <translation>%1 は開けません。以下の問題があります。代わりにサンプル番組を実行しています。別の番組を開くか、サンプルのまま続けてください。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open show</source>
        <translation>番組を開く</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&amp;Edit in the show editor</source>
        <translation>番組エディターで直す(&amp;E)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Open another show…</source>
        <translation>別の番組を開く(&amp;O)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Go on with the &amp;sample</source>
        <translation>サンプルのまま続ける(&amp;S)</translation>
    </message>
</context>
<context>
    <name>Store</name>
    <message>
        <location filename="../src/anchordesk/store/writer.py" line="+252"/>
        <source>the file was deleted and cannot be written again: {cause}</source>
        <extracomment>Why the writer stopped writing (None while every write lands). The reason in ``fault`` as Words (a window says it in its language). Why the file is gone when it closed (deleted, and could not be written again).</extracomment>
        <translation>ファイルが削除され、もう一度書き込むことができません：{cause}</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>another program holds it locked ({detail})</source>
        <translation>別のプログラムがロックしています（{detail}）</translation>
    </message>
</context>
<context>
    <name>TablePage</name>
    <message>
        <location filename="../src/anchordesk/ui/editor/table_page.py" line="+46"/>
        <source>…and %1 more (F8 goes to each)</source>
        <translation>…ほか %1 件（F8 で順に移動）</translation>
    </message>
</context>
<context>
    <name>TeleprompterPanel</name>
    <message>
        <location filename="../src/anchordesk/ui/teleprompter.py" line="+243"/>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>文字サイズ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mirror</source>
        <translation>左右反転</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause</source>
        <translation>一時停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>From the top</source>
        <translation>最初から</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scroll speed</source>
        <translation>スクロール速度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text size</source>
        <translation>文字サイズ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mirror the text</source>
        <translation>文字を左右反転</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause scrolling</source>
        <translation>スクロールを一時停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scroll back to the top</source>
        <translation>先頭に戻る</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Script</source>
        <translation>台本</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Flash deal %1 · %2 · %3 left · %4</source>
        <translation>タイムセール %1 · %2 · 残り %3 点 · %4</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Pinned: %1: %2</source>
        <translation>固定中：%1：%2</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Next: %1</source>
        <translation>次：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Last segment</source>
        <translation>最後のコーナー</translation>
    </message>
</context>
</TS>
